"""Full-face mode: the mouth of the face picked in a photo (lipglance.inference.faces.find), cropped by the lip crop
rule (docs/DESIGN.md), and generated lips pasted back.

The generated 64x64 crop is warped back into the photo inside a feathered ellipse around
the mouth, after shifting its colour to the photo's (measured on a skin ring around the
lips), so that no box edge is visible and pixels outside the mask are untouched.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from lipglance.errors import UserError
from lipglance.face import crop_square, mouth_square
from lipglance.inference.faces.find import pick_face


@dataclass
class FaceTarget:
    photo: np.ndarray  # [H, W, 3] uint8, even H and W
    cx: float
    cy: float
    side: float
    crop: np.ndarray  # [64, 64, 3] uint8 identity crop
    roi: tuple[int, int, int, int]  # x0, y0, x1, y1 of the pasted region
    mask: np.ndarray  # [y1-y0, x1-x0, 1] float32 in [0, 1]
    ring: np.ndarray  # [64, 64] bool, skin ring in crop coordinates (colour matching)
    points: np.ndarray  # [20, 2] mouth landmarks 48-67 in crop pixels
    face: np.ndarray | None = None  # [68, 2] all the face's dlib landmarks in photo pixels (render/living.py)


def even_size(photo: np.ndarray) -> np.ndarray:
    """The photo cropped to even height and width (H.264 needs both even), as one contiguous array."""
    h, w = photo.shape[:2]
    return np.ascontiguousarray(photo[: h - h % 2, : w - w % 2])


def find_face(photo: np.ndarray, face_index: int = 0, size: int = 64,
              box: tuple[int, int, int, int] | None = None) -> FaceTarget:
    """The face `pick_face` picks (lipglance.inference.faces.find: the `face_index`-th largest plausible face, or the
    face in `box`, x, y, w, h in pixels), with the crop and paste mask of its mouth."""
    photo = even_size(photo)
    points = pick_face(photo, face_index, box)
    cx, cy, side = mouth_square(points)
    if side < 12:
        raise UserError(f"the mouth is only {side:.0f} px wide: use a larger photo (mouth >= 12 px)")
    h, w = photo.shape[:2]
    x0, y0 = max(0, int(cx - side / 2)), max(0, int(cy - side / 2))
    x1, y1 = min(w, int(np.ceil(cx + side / 2))), min(h, int(np.ceil(cy + side / 2)))
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    # Ellipse around the lips, fading to 0 well inside the crop square.
    r = np.sqrt(((xx - cx) / (0.40 * side)) ** 2 + ((yy - cy) / (0.32 * side)) ** 2)
    mask = np.clip((1.0 - r) / 0.35, 0.0, 1.0)
    mask = (mask * mask * (3 - 2 * mask))[..., None]
    g = np.mgrid[0:size, 0:size].astype(np.float32)
    rc = np.sqrt(((g[1] + 0.5 - size / 2) / (0.40 * size / 1.0)) ** 2 + ((g[0] + 0.5 - size / 2) /
                                                                          (0.32 * size)) ** 2)
    ring = (rc > 0.75) & (rc < 1.0)
    crop = crop_square(photo, cx, cy, side, size)
    mouth = (points[48:68] - [cx, cy]) * (size / side) + size / 2
    return FaceTarget(photo, cx, cy, side, crop, (x0, y0, x1, y1), mask.astype(np.float32), ring, mouth,
                      np.asarray(points, np.float64))


def paste(target: FaceTarget, lips: np.ndarray, offset: np.ndarray | None = None) -> np.ndarray:
    """Composite one generated crop [64, 64, 3] into the photo; `offset` is an RGB colour shift."""
    size = lips.shape[0]
    x0, y0, x1, y1 = target.roi
    scale = target.side / size
    # crop pixel (u, v) -> photo (cx + (u - size/2) * scale, ...), shifted into the ROI.
    m = np.array([[scale, 0, target.cx - size / 2 * scale - x0],
                  [0, scale, target.cy - size / 2 * scale - y0]], np.float32)
    lips_f = lips.astype(np.float32) + (0 if offset is None else offset)
    warped = cv2.warpAffine(lips_f, m, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REPLICATE)
    out = target.photo.copy()
    region = out[y0:y1, x0:x1].astype(np.float32)
    out[y0:y1, x0:x1] = np.clip(region + target.mask * (warped - region), 0, 255).round().astype(np.uint8)
    return out


def colour_offset(target: FaceTarget, lips: np.ndarray) -> np.ndarray:
    """RGB shift that makes the generated skin ring match the photo's."""
    ring = target.ring
    return target.crop[ring].astype(np.float32).mean(0) - lips[ring].astype(np.float32).mean(0)


def pasted(target: FaceTarget, frames: Iterator[np.ndarray]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(the photo with `frames` pasted in, the lips) per frame, the colour offset smoothed over time."""
    offset = None
    for lips in frames:
        shift = colour_offset(target, lips)
        offset = shift if offset is None else 0.8 * offset + 0.2 * shift
        yield paste(target, lips, offset), lips
