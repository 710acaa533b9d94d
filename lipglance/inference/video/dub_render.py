"""The dub's per-frame mouth renderer: the shape renderer, prepared per frame, with the speaker's rest width.

A photo's mouth is its rest mouth; a video's is caught mid-word. `lipglance.inference.render.shape.ShapeWarp` closes the
mouth it is given (upper lip down, lower lip up) and adds the predicted shape in units of that mouth's width,
so a frame where the original speaker rounds ("oo") or spreads ("ee") the lips would keep that width under the
new speech. `DubRenderer` instead takes the rest width from the face: the running median (over `WINDOW`
frames with a face) of the mouth width over the eye distance, times this frame's eye distance; the closed
mouth is stretched along its corner line to that width before the shape is added (at most `MAX_STRETCH`
either way). Preparing a frame costs a few landmark sums; the warp itself is `lipglance.inference.render.shape`'s.
The inside of each new opening is the speaker's own, from a frame of the video whose mouth was open as wide
(lipglance.inference.video.mouths), where there is one; else it is drawn.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from lipglance.face import eye_centres
from lipglance.inference.render.jaw import JawWarp
from lipglance.inference.render.shape import AMPLITUDE, ShapeWarp
from lipglance.inference.render.tongue import Tongue
from lipglance.inference.video.mouths import MouthLibrary
from lipglance.shape import mouth_width

WINDOW = 75  # frames (3 s) of the running median of the mouth-width / eye-distance ratio
MAX_STRETCH = 1.25  # the rest width is at most this factor wider (or narrower) than the frame's mouth


def eye_distance(points: np.ndarray) -> float:
    """Distance of the eye centres (lipglance.face.eye_centres) of 68 landmarks."""
    left, right = eye_centres(points)
    return float(np.linalg.norm(right - left))


@dataclass(frozen=True)
class RestShapeWarp(ShapeWarp):
    """`ShapeWarp` whose shapes are added to a closed mouth of width `rest` (px) instead of the frame's."""

    rest: float = 0.0

    @property
    def width(self) -> float:
        return self.rest if self.rest > 0 else float(mouth_width(self.points))

    def target(self, shape: np.ndarray, expression: np.ndarray | None = None) -> np.ndarray:
        out = super().target(shape, expression)
        if self.rest <= 0:
            return out
        closed = self.closed_pose[0]
        centre = (closed[0] + closed[6]) / 2
        axis = (closed[6] - closed[0]) / max(float(np.linalg.norm(closed[6] - closed[0])), 1e-6)
        stretch = self.rest / max(float(mouth_width(self.points)), 1e-6) - 1
        return out + stretch * ((closed - centre) @ axis)[:, None] * axis


class DubRenderer:
    """Renders the frames of one video in order: `frame(image, landmarks, shape)`."""

    def __init__(self, window: int = WINDOW, gain: float = AMPLITUDE) -> None:
        self.ratios: deque[float] = deque(maxlen=window)
        self.mouths = MouthLibrary()  # the video's own open mouths, reused inside the new openings
        self.gain = gain  # the shapes' vertical gain (lipglance.inference.render.shape.AMPLITUDE x the user's)

    def frame(self, image: np.ndarray, points: np.ndarray, shape: np.ndarray,
              tongue: Tongue | None = None) -> np.ndarray:
        """`image` with its mouth (68 landmarks `points`) closed and moved to `shape` [20, 2], the jaw lowered with
        the opening (lipglance.inference.render.jaw); `tongue`: the frame's tongue cue when the phones are known
        (lipglance.inference.render.tongue; drawn where the inside is drawn, not where the video lends its own)."""
        mouth = points[48:68]
        eyes, width = eye_distance(points), float(mouth_width(mouth))
        if eyes > 0 and width > 0:
            self.ratios.append(width / eyes)
        rest = float(np.median(self.ratios)) * eyes if self.ratios else width
        rest = float(np.clip(rest, width / MAX_STRETCH, width * MAX_STRETCH))
        warp = ShapeWarp.for_image(image, mouth)
        self.mouths.offer(image, warp.points)
        jaw = JawWarp.for_face(points, image.shape)
        rest_warp = RestShapeWarp(warp.image, warp.points, warp.roi, jaw=jaw, gain=self.gain, rest=rest)
        return rest_warp.frame(shape, self.mouths.pick(rest_warp.target(shape)), tongue=tongue)

