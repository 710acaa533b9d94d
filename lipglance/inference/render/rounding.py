"""Rounded lips look rounded (beyond the paper; issue 26): a narrowed mouth pouts instead of only narrowing.

A shape narrower than rest (the corners pulled in: "who", "oh", "ooh") rounds the lips by `rounding_of` (0 at rest
width or wider, 1 at ROUND_SPAN below it; a smooth function of the shape alone, so a held shape gives the same
pixels in every frame). `round_lips` turns it into the shape renderer's target lip edges
(lipglance.inference.render.shape), as pursed, protruded lips look from the front:

- the inner opening gets smaller and rounder: its ends come in (to 1 - HOLE_NARROW of its width) and it becomes
  an ellipse instead of a lens tapering to sharp corners; its middle keeps its height (the opening dlib reads);
- the lips get fuller: the upper lip's outline lifts by LIFT and the lower lip everts by EVERT of their heights at
  the middle, less toward the corners (protrusion shows more of the lips' red); the renderer stretches the photo's
  own lip pixels over the added rows; where the opening's ends come in, the lips meet and fill them;
- the renderer also moves more of the cheek beside each corner with it (CHEEK_IN) and the lips cover more of the
  teeth (`teeth_share`; lipglance.inference.render.inside): up to TEETH_COVER of their length on small openings,
  so "who" shows a small dark opening, less as the jaw drops ("oh" shows the teeth's edge).

Spread and rest shapes (rounding 0) are drawn exactly as before; closed lips stay closed (the opening only shrinks).
"""

from __future__ import annotations

import numpy as np

from lipglance.shape import width_of

ROUND_SPAN = 0.2  # rest widths below rest width at which the lips are fully rounded ("who" is 0.81: rounding 0.95)
HOLE_NARROW = 0.3  # of the inner opening's width that its ends come in at full rounding (a pout's small hole)
LIFT, EVERT = 0.4, 0.5  # of the upper / lower lip's height at the middle that its outer outline moves out
CHEEK_IN = 0.1  # added share of the cheek band beside each corner that moves with it at full rounding
TEETH_COVER = 0.8  # of the upper teeth's length that protruded lips cover at full rounding, on a small opening:
# all of it up to the first opening, none from the second (rest widths, as drawn): "who" keeps its jaw up and shows a
# dark hole, "oh" lowers it and shows the upper teeth's edge (with them dlib also finds the upper lip's inner edge)
COVER_OPEN = (0.15, 0.4)


def rounding_of(shape: np.ndarray) -> float:
    """How rounded a shape [20, 2] (displacement from rest, rest widths) is: 0 at rest width or wider, 1 from
    ROUND_SPAN narrower."""
    return float(np.clip((1.0 - float(width_of(np.asarray(shape)))) / ROUND_SPAN, 0.0, 1.0))


def teeth_share(rounding: float, opening: float) -> float:
    """The share of the upper teeth's length that shows under lips rounded by `rounding` and open by `opening` rest
    widths (as drawn): 1 for lips that do not round."""
    lo, hi = COVER_OPEN
    return 1.0 - TEETH_COVER * rounding * float(np.clip((hi - opening) / (hi - lo), 0.0, 1.0))


def _ellipse(xs: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Per column: the half-height profile of an ellipse spanning columns lo..hi (1 mid-way, 0 at and beyond its
    ends)."""
    mid, half = (lo + hi) / 2, max((hi - lo) / 2, 1e-6)
    return np.sqrt(np.clip(1 - ((xs - mid) / half) ** 2, 0, 1))


def round_lips(curves: np.ndarray, xs: np.ndarray, dst: np.ndarray, rounding: float) -> np.ndarray:
    """The target lip edges [4, len(xs)] (outer top, inner upper, inner lower, outer bottom per column `xs`) of
    mouth points `dst` [20, 2], rounded by `rounding` (see the module doc); unchanged for 0."""
    if rounding <= 0:
        return curves
    top, upper, lower, bottom = curves
    r = float(rounding)
    centre = int(np.argmin(np.abs(xs - (dst[0, 0] + dst[6, 0]) / 2)))
    mid = (upper + lower) / 2
    # The opening: an ellipse as high as its middle, narrower.
    gap = np.clip(lower - upper, 0, None) / 2
    lo, hi = sorted((dst[12, 0], dst[16, 0]))
    shrink = HOLE_NARROW * r * (hi - lo) / 2
    hole = float(gap.max()) * _ellipse(xs, lo + shrink, hi - shrink)
    gap = gap + r * (np.minimum(hole, gap) - gap)
    # The outer outlines: out by LIFT / EVERT of each lip's height at the middle, tapering to nothing at the corners.
    lo, hi = sorted((dst[0, 0], dst[6, 0]))
    bulge = np.clip(1 - ((xs - (lo + hi) / 2) / max((hi - lo) / 2, 1e-6)) ** 2, 0, 1) ** 2  # the corners stay thin
    up_h, low_h = max(upper[centre] - top[centre], 0.0), max(bottom[centre] - lower[centre], 0.0)
    return np.stack([top - r * LIFT * up_h * bulge, mid - gap, mid + gap, bottom + r * EVERT * low_h * bulge])
