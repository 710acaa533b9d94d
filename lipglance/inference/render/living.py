"""The living photo: eye blinks (lipglance.inference.render.blink) and a little head motion
(lipglance.inference.render.head)
on a photo's frames.

Applied to each output frame after its mouth is rendered, for a face photo (not a lip crop) unless `still`:
first the eyelids, then the whole face region. Everything is precomputed once per photo from its 68 dlib
landmarks (the warps' pixel grids and masks); a frame costs two small remaps and never holds more than itself,
so memory does not grow with the audio. Blink times and the sway come from `seed`, so a seed gives the same video.
Pixels outside the face region's feathered ellipse are never touched.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from lipglance.inference.render.blink import EyeWarp, closures
from lipglance.inference.render.head import HeadWarp, motions


class Move(NamedTuple):
    closure: float  # of the lids, 0 open .. 1 shut
    roll: float  # radians, about the neck
    dx: float  # px
    dy: float


@dataclass(frozen=True)
class LivingFace:
    """The warps of one face: its eyes (those large enough to blink) and its head region."""

    eyes: tuple[EyeWarp, ...]
    head: HeadWarp

    @classmethod
    def for_face(cls, points: np.ndarray, image: np.ndarray) -> LivingFace:
        """From the face's 68 dlib landmarks [68, 2] in the pixels of `image` [H, W, 3]. The eyes blink together
        or not at all (an eye whose blink would move a glasses rim or a brow: lipglance.inference.render.blink)."""
        pts = np.asarray(points, np.float64)
        eyes = (EyeWarp.for_eye(pts[36:42], image, pts[17:22]), EyeWarp.for_eye(pts[42:48], image, pts[22:27]))
        both = tuple(e for e in eyes if e is not None)
        return cls(both if len(both) == 2 else (), HeadWarp.for_face(pts, image.shape))

    def moves(self, audio: np.ndarray, sample_rate: int, fps: float, seed: int = 0) -> Iterator[Move]:
        """Per frame, forever: the lids' closure from the seeded blinks and the head's (roll, dx, dy) from the
        speech-driven sway of mono `audio` at `sample_rate`."""
        sways = motions(audio, sample_rate, fps, seed, self.head.iod)
        for c, (roll, dx, dy) in zip(closures(seed, fps), sways, strict=False):  # both endless
            yield Move(c, roll, dx, dy)

    def apply(self, frame: np.ndarray, move: Move) -> np.ndarray:
        """`frame` [H, W, 3] uint8 (of the photo's size), changed in place by `move`, and returned."""
        for eye in self.eyes:
            eye.apply(frame, move.closure)
        self.head.apply(frame, move.roll, move.dx, move.dy)
        return frame
