"""The warp renderer (beyond the paper): the photo's own lips, moved by the generator's motion.

For each frame the mouth of the photo is opened to the generator's relative opening
(`lipglance.motion`) times the photo's mouth width by `lipglance.inference.render.closing.reshape_mouth`, at the photo's
resolution, inside a box around the mouth; every pixel outside that box, and every column of it
outside the inner mouth corners, is the photo's own. An opening of 0 is closed lips, whatever the
photo showed, so silence gives a closed mouth.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from lipglance.errors import UserError
from lipglance.face import crop_mouth_landmarks, crop_square, is_lip_crop, mouth_square
from lipglance.inference.render.closing import ABOVE, BELOW, reshape_mouth
from lipglance.inference.render.inside import MouthLook
from lipglance.inference.render.lips import box_side
from lipglance.inference.render.paste import FaceTarget
from lipglance.shape import mouth_width


@dataclass(frozen=True)
class MouthWarp:
    image: np.ndarray  # [H, W, 3] uint8, the photo (or lip crop) animated
    points: np.ndarray  # [20, 2] mouth points 48-67 in image pixels
    roi: tuple[int, int, int, int]  # x0, y0, x1, y1: the only pixels a frame can change

    @classmethod
    def for_image(cls, image: np.ndarray, points: np.ndarray) -> MouthWarp:
        pts = np.asarray(points, np.float64)
        side = box_side(pts)
        h, w = image.shape[:2]
        x0, x1 = max(0, int(pts[:, 0].min()) - 2), min(w, int(np.ceil(pts[:, 0].max())) + 3)
        y0 = max(0, int(pts[:, 1].min() - ABOVE * side) - 3)
        y1 = min(h, int(np.ceil(pts[:, 1].max() + BELOW * side)) + 4)
        return cls(image, pts, (x0, y0, x1, y1))

    @classmethod
    def for_photo(cls, target: FaceTarget) -> MouthWarp:
        """The mouth `find_face` found, in photo pixels."""
        size = target.crop.shape[0]
        points = (target.points - size / 2) * (target.side / size) + [target.cx, target.cy]
        return cls.for_image(target.photo, points)

    @classmethod
    def for_crop(cls, crop: np.ndarray) -> MouthWarp:
        """A lip crop, its mouth read by dlib."""
        points = crop_mouth_landmarks(np.ascontiguousarray(crop))
        if points is None:
            raise UserError("dlib finds no mouth in this lip crop, so the warp renderer cannot move it: "
                            "use renderer='network'")
        return cls.for_image(crop, points)

    @property
    def width(self) -> float:
        return float(mouth_width(self.points))

    @cached_property
    def region(self) -> np.ndarray:
        """The pixels of the warp's box."""
        x0, y0, x1, y1 = self.roi
        return np.ascontiguousarray(self.image[y0:y1, x0:x1])

    @cached_property
    def look(self) -> MouthLook:
        """The mouth's colours and own teeth (lipglance.inference.render.inside), read once, in the box's pixels."""
        return MouthLook.read(self.region, self.points - self.roi[:2])

    def frame(self, relative: float) -> np.ndarray:
        """The image with its mouth open by `relative` x the mouth width (0: closed)."""
        x0, y0, x1, y1 = self.roi
        out = self.image.copy()
        out[y0:y1, x0:x1] = reshape_mouth(self.region, self.points - [x0, y0], relative * self.width, self.look)
        return out

    def lips(self, frame: np.ndarray, size: int = 64) -> np.ndarray:
        """The lip crop (docs/DESIGN.md, Data rules) of a rendered frame (a lip crop's frame, resized)."""
        if is_lip_crop(self.image):
            return cv2.resize(frame, (size, size), interpolation=cv2.INTER_AREA)
        cx, cy, side = mouth_square(self.points)
        return crop_square(frame, cx, cy, side, size)
