"""Grins relax while speaking (beyond the paper): a broad smile turns toward a speaking mouth, and back in silence.

A photo taken grinning would otherwise grin through every word (the shape renderer adds the speech's shapes to the
photo's own mouth). A mouth is a grin when its corners sit more than GRIN_LIFT rest widths above the middle of its
lips (dlib's 48/54 against 62/66; neutral and slightly smiling photos measure within +-0.07, grins 0.14-0.17:
docs/DESIGN.md). While speech plays, the corners move down toward the lips' middle line and in toward a neutral
width (NEUTRAL_WIDTH eye distances, no wider than the photo's), by RELAX of the way; the shapes' own rounding then
narrows the relaxed mouth further on rounded vowels. The change fades in over ATTACK seconds once the mouth opens
and out over RELEASE seconds of closed mouth, so short closures (p, b, m) keep it and a pause gives the photo's
smile back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lipglance.face import eye_centres
from lipglance.shape import CLOSED, mouth_width, opening_of

GRIN_LIFT = 0.1  # rest widths: corners this far above the lips' middle make a grin
NEUTRAL_WIDTH = 0.86  # mouth width over the eye distance of a neutral mouth (neutral photos: 0.82-0.90)
RELAX = 0.8  # of the way from the grin to the neutral mouth
ATTACK, RELEASE = 0.15, 0.6  # s: time constants of fading the relaxed mouth in (speech) and out (silence)
CORNER = np.array([0, 6, 12, 16])  # mouth points (48, 54, 60, 64) that move as the corners
NEAR = np.array([1, 5, 7, 11, 13, 15, 17, 19])  # their neighbours, which move half as much


def grin_offset(face: np.ndarray, mouth: np.ndarray) -> np.ndarray | None:
    """The shape [20, 2] (rest widths of `mouth`, upright) that relaxes a grin, or None for a mouth that is not
    one; `face`: the 68 landmarks, `mouth`: the warp's mouth points [20, 2] (same pixels)."""
    p, m = np.asarray(face, np.float64), np.asarray(mouth, np.float64)
    width = float(mouth_width(m))
    left, right = eye_centres(p)
    along = (m[6] - m[0]) / max(width, 1e-6)
    down = np.array([-along[1], along[0]])
    lift = float(((m[14] + m[18]) / 2 - (m[0] + m[6]) / 2) @ down) / max(width, 1e-6)
    if lift < GRIN_LIFT:
        return None
    neutral = NEUTRAL_WIDTH * float(np.linalg.norm(right - left))
    narrow = RELAX * max(0.0, width - neutral) / 2 / max(width, 1e-6)  # per corner, rest widths
    fall = RELAX * lift
    out = np.zeros((20, 2))
    for idx, share in ((CORNER, 1.0), (NEAR, 0.5)):
        side = np.where(m[idx] @ along < (m[0] + m[6]) @ along / 2, 1.0, -1.0)  # left half moves right
        out[idx, 0] = share * narrow * side
        out[idx, 1] = share * fall
    return out


@dataclass
class GrinRelax:
    """Relaxes the shapes of one stream, frame by frame (see module doc)."""

    offset: np.ndarray  # [20, 2] the relaxed mouth's change, rest widths
    fps: float = 25.0
    level: float = field(default=0.0)  # 0 the photo's grin .. 1 relaxed

    def advance(self, shape: np.ndarray) -> np.ndarray:
        """The change [20, 2] to the next frame's mouth (`shape`): the grin relaxed as far as the speech so far says
        (ShapeWarp.frame's `expression`)."""
        speaking = float(opening_of(np.asarray(shape)) > CLOSED)
        tau = ATTACK if speaking > self.level else RELEASE
        self.level += (1 - np.exp(-1 / (tau * self.fps))) * (speaking - self.level)
        return self.level * self.offset
