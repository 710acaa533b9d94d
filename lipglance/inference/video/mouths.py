"""The speaker's own mouths (beyond the paper): a dub reuses the inside of the mouth the video itself showed.

As `lipglance.inference.video.dub` renders a video's frames in order, every frame whose own mouth is open (dlib's
inner lips apart by at least `MIN_OPEN` mouth widths) lends its inside to a small library: the pixels between its
inner lips, resampled to a fixed `SIZE` patch (across: inner corner to inner corner; down: upper inner lip to lower
inner lip, per column), keyed by that opening, if its middle shows teeth or cavity rather than lips. The library
holds one patch per opening bin of `BIN` mouth widths (at most `BINS` of them, so memory is bounded whatever the
video's length: a few kilobytes each); a bin keeps the sharpest patch it was offered (variance of the Laplacian:
least motion blur).

For a frame to render, `pick` takes the patch whose opening is nearest the target's, if within `TOLERANCE` mouth
widths; the dub's shape renderer then fills the new opening with it (`lipglance.inference.render.inside.Donor`:
the patch stretched onto the target's inner-lip contour, its upper teeth at their own size): the speaker's real
teeth, tongue and lips. Otherwise the inside is drawn. The patch chosen stays while it still matches (no
switching between two patches from frame to frame), so the teeth do not flicker.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from lipglance.inference.render.inside import Donor, MouthLook
from lipglance.inference.render.lips import LUMA, lum_sat, mouth_gap
from lipglance.shape import mouth_width

MIN_OPEN = 0.1  # mouth widths: a frame's own inner opening from which its inside is worth keeping
SHOWN = 0.4  # share of a patch's middle rows that must be teeth or cavity (not lips dlib took for parted)
BIN = 0.02  # mouth widths: openings within a bin share one patch
BINS = 24  # at most this many patches (openings up to MIN_OPEN + BINS * BIN)
TOLERANCE = 0.03  # mouth widths: the most a patch's opening may differ from the target's
SIZE = (48, 24)  # px (across, down) of a stored patch


def opening_of(points: np.ndarray) -> float:
    """Inner opening of mouth points [20, 2] at the middle of the inner corners, in mouth widths."""
    pts = np.asarray(points, np.float64)
    inner = pts[12:20, 0]
    _, _, gap = mouth_gap(pts, np.array([(inner.min() + inner.max()) / 2]))
    return float(gap[0]) / max(float(mouth_width(pts)), 1e-6)


def inside_patch(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The pixels between the inner lips of `points` [20, 2] in `image`, resampled to a `SIZE` patch."""
    pts = np.asarray(points, np.float64)
    inner = pts[12:20, 0]
    u = np.linspace(0.0, 1.0, SIZE[0])
    xs = inner.min() + u * (inner.max() - inner.min())
    upper, lower, _ = mouth_gap(pts, xs)
    lower = np.maximum(lower, upper)
    w = np.linspace(0.0, 1.0, SIZE[1])[:, None]
    map_y = (upper + w * (lower - upper)).astype(np.float32)
    map_x = np.ascontiguousarray(np.broadcast_to(xs.astype(np.float32), map_y.shape))
    return cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def looks_inside(patch: np.ndarray, lip: np.ndarray) -> bool:
    """Whether the middle rows of a patch are mostly teeth (brighter and less saturated than the lips of RGB `lip`)
    or cavity (much darker), not lips that dlib took for parted."""
    rgb = patch[patch.shape[0] // 4: 3 * patch.shape[0] // 4].astype(np.float32)
    lum, sat = lum_sat(rgb)
    lip_lum = float(lip @ LUMA)
    lip_sat = float((lip.max() - lip.min()) / max(float(lip.max()), 1.0))
    teeth = (lum > 0.9 * lip_lum) & (sat < 0.6 * lip_sat)
    return float(np.mean(teeth | (lum < 0.55 * lip_lum))) > SHOWN


@dataclass
class MouthLibrary:
    """Patches of a video's own open mouths by opening (see the module doc)."""

    patches: dict[int, tuple[float, float, np.ndarray]] = field(default_factory=dict)  # bin -> (opening, sharp, px)
    chosen: int | None = None  # bin of the patch used last
    reused: int = 0  # frames whose inside came from the library

    def offer(self, image: np.ndarray, points: np.ndarray) -> None:
        """Keep the inside of this frame's mouth (20 points in `image`'s pixels) if it is open and sharper than the
        patch of its bin."""
        opening = opening_of(points)
        if opening < MIN_OPEN:
            return
        key = int((opening - MIN_OPEN) / BIN)
        if key >= BINS:
            return
        patch = inside_patch(image, points)
        sharp = float(cv2.Laplacian(cv2.cvtColor(patch, cv2.COLOR_RGB2GRAY), cv2.CV_32F).var())
        if key in self.patches and sharp <= self.patches[key][1]:
            return
        if looks_inside(patch, MouthLook.read(image, points).lip):
            self.patches[key] = (opening, sharp, patch)

    def pick(self, target: np.ndarray) -> Donor | None:
        """The patch for a mouth at points `target` [20, 2], or None: none close enough in opening."""
        opening = opening_of(target)
        if opening < MIN_OPEN - TOLERANCE or not self.patches:
            self.chosen = None
            return None
        if self.chosen in self.patches and abs(self.patches[self.chosen][0] - opening) <= TOLERANCE:
            key = self.chosen
        else:
            key = min(self.patches, key=lambda k: abs(self.patches[k][0] - opening))
            if abs(self.patches[key][0] - opening) > TOLERANCE:
                self.chosen = None
                return None
        self.chosen = key
        self.reused += 1
        return Donor(self.patches[key][2], opening / max(self.patches[key][0], 1e-6))
