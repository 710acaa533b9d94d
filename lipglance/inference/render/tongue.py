"""The tongue in an open mouth (beyond the paper): its body on open vowels, and its tip on th and l when the phones
are known.

The shape renderer is given mouth shapes, not phones, so by itself it draws the tongue's body only: a mound low in
the opening that rises into view as the mouth opens wide (open vowels). When the words are known (the transcript
path, lipglance.inference.speech.transcript) each frame also gets a `Tongue` cue from its phone:

- th, dh: the tip between the teeth, a rounded pink tip under the upper teeth's edge in the middle of the mouth,
  in front of the lower teeth;
- l: the tip raised behind the upper teeth, a column of tongue from the floor of the mouth up to the upper teeth,
  narrower than the mouth, its underside darker, with the dark cavity on either side.

A cue only shows where the lips are parted (the drawing is confined to the opening). `cues` gives a frame the
share of its visual time window (CUE_WINDOW around the frame's centre plus the lead) that the phone covers, so the
tip comes and goes over a frame or two instead of popping. The colours are the tongue's (`tongue_colour`): the
lips' own light, redder and more saturated than pale lips.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from lipglance.inference.render.lips import LUMA

TIP_PHONES = ("th", "dh")  # the tongue's tip between the teeth
RIDGE_PHONES = ("l",)  # the tip raised behind the upper teeth
CUE_WINDOW = 0.06  # s: a frame's cue is the share of this window around its visual time that the phone covers
SOFT = 2.0  # logits: a tongue track's logit this far past its threshold shows the raised tip at tanh(1) = 0.76
TONGUE_HUE = np.array([1.18, 0.86, 0.9])  # a tongue's colour relative to the lips' (redder than pale lips)


@dataclass(frozen=True)
class Tongue:
    """A frame's tongue cue, each 0..1: `between` the tip between the teeth (th), `raised` the tip raised behind the
    upper teeth (l)."""

    between: float = 0.0
    raised: float = 0.0


class Timed(Protocol):
    """A timed phone (lipglance.synth.tts.Phone)."""

    @property
    def canon(self) -> str: ...
    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float: ...


def cues(phones: Sequence[Timed], n_frames: int, fps: float = 25.0, lead: float = 0.0) -> list[Tongue]:
    """A cue per frame from timed phones (`canon` names as lipglance.synth.phonemes), the frame showing the sound
    `lead` seconds after its centre (as lipglance.inference.speech.transcript.transcript_shapes)."""
    t = (np.arange(n_frames) + 0.5) / fps + lead
    lo, hi = t - CUE_WINDOW / 2, t + CUE_WINDOW / 2
    out = np.zeros((2, n_frames))
    for ph in phones:
        row = 0 if ph.canon in TIP_PHONES else 1 if ph.canon in RIDGE_PHONES else -1
        if row >= 0:
            cover = np.clip(np.minimum(hi, ph.end) - np.maximum(lo, ph.start), 0, None) / CUE_WINDOW
            out[row] = np.maximum(out[row], np.clip(cover, 0, 1))
    return [Tongue(float(b), float(r)) for b, r in out.T]


def raised_by(margin: float) -> float:
    """The raised tip's cue (0..1) of a tongue track's logit `margin` past its threshold (lipglance.nn.seal, `lipglance
    seal --tongue`): none below it, rising smoothly above it, so the tip comes and goes over a frame or two."""
    return max(0.0, float(np.tanh(margin / SOFT)))


def tongue_colour(lip: np.ndarray) -> np.ndarray:
    """RGB [3] of a tongue lit as lips of colour `lip` [3] are: the lips' luminance, a redder hue."""
    rgb = np.asarray(lip, np.float64) * TONGUE_HUE
    return np.clip(rgb * float(lip @ LUMA) / max(float(rgb @ LUMA), 1.0), 0, 255)


def draw_tongue(inside: np.ndarray, lip: np.ndarray, across: np.ndarray, size: np.ndarray, from_top: np.ndarray,
                from_bottom: np.ndarray, upper: np.ndarray, unit: float, raised: float) -> np.ndarray:
    """`inside` [H, W, 3] (the cavity) with the tongue's body (and, `raised` > 0, its tip raised to the upper teeth
    `upper` [W] px below the upper lip) drawn over it; `across` [W]: 1 mid-mouth, 0 at the corners; `size` [W] the
    opening, `from_top`/`from_bottom` [H, W] each pixel's distance below the upper lip and above the lower one."""
    colour = tongue_colour(lip)
    sz = np.maximum(size, 1e-3)
    body_h = np.clip((size - 6 * unit) / (8 * unit), 0, 1) * 0.22 * sz
    width = np.sqrt(np.clip(1 - (1 - across) / 0.64, 0, 1))  # an ellipse over the middle 0.8 of the mouth
    mound = body_h * width
    if raised > 0:  # the tip's column: up to the upper teeth, 0.45 of the mouth's half width
        tip = np.sqrt(np.clip(1 - (1 - across) / 0.2, 0, 1))
        reach = np.maximum(size - upper - 0.5 * unit, 0) * tip ** 0.3 * (tip > 0)
        mound = np.maximum(mound, raised * reach)
    t_in = np.clip((mound - from_bottom) / 1.5 + 0.5, 0, 1) * (from_bottom >= -0.5) * (mound > 0.5)
    back = np.clip(1 - (mound - from_bottom) / np.maximum(0.5 * mound, 1e-3), 0, 1)  # 1 at its top edge
    shade = (0.55 - 0.25 * back) * (0.7 + 0.3 * across)
    if raised > 0:  # a raised tip shows its darker underside
        shade = shade * (1 - 0.25 * raised * (mound > body_h + unit))
    return inside + t_in[..., None] * (colour * shade[..., None] - inside)


def draw_tip(inside: np.ndarray, lip: np.ndarray, across: np.ndarray, from_top: np.ndarray,
             from_bottom: np.ndarray, upper: np.ndarray, unit: float, between: float) -> np.ndarray:
    """`inside` with the tongue's tip between the teeth (th): from just above the upper teeth's edge `upper` [W]
    (over their tips where the lips part little: the tip comes forward of them) down to the lower lip, rounded,
    over the middle 0.55 of the mouth, lit from the front."""
    colour = tongue_colour(lip)
    tip = np.sqrt(np.clip(1 - (1 - across) / 0.3, 0, 1))
    size = from_top[:1] + from_bottom[:1]  # [1, W] the opening
    edge = np.minimum(upper - 0.7 * unit, 0.45 * size)  # pushed forward under the teeth's edge, over their tips
    top = edge + 1.5 * unit * (1 - tip)  # its rounded outline, highest in the middle
    t_in = between * np.clip(from_top - top + 0.5, 0, 1) * (tip > 0) * (from_bottom >= -0.5)
    shade = (0.75 + 0.15 * tip) * (0.8 + 0.2 * np.clip((from_top - top) / (2 * unit), 0, 1))
    return inside + t_in[..., None] * (colour * shade[..., None] - inside)
