"""Move a mouth's lips with a landmark-guided vertical warp: close an open mouth, or open it (beyond the paper).

The generator keeps much of its identity frame: given a smile with teeth it speaks with teeth
and, on silence, never quite closes (issue 6). So `lipglance generate` first closes the identity's
mouth, the way a jaw closes: in every image column between the inner mouth corners the upper
lip moves down and the lower lip up, each as a rigid block, until the inner lip edges meet; the
skin above the upper lip and between the lower lip and the chin stretches or compresses to
absorb the shift, and everything further out (and every column outside the mouth) stays where it
is. Lips keep the photo's own texture, so a closed real mouth stays sharp.

`reshape_mouth` does the same towards any opening: the lips part along the closed mouth's seam
by a lens-shaped gap, and the mouth's inside is what the image showed between the lips (teeth, kept
against each lip or squeezed), or where it showed nothing a dark cavity under a drawn edge of upper
teeth.

Mouth points are dlib's 48-67 in image pixels: 48-59 the outer contour (48 and 54 the corners,
51 top, 57 bottom), 60-67 the inner one (61-63 upper, 65-67 lower).
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from lipglance.face import crop_mouth_landmarks

UPPER_SHARE = 0.4  # of an opening made by the upper lip; the jaw makes the rest
OVERSHOOT = 1.0  # px (per 64 px of mouth box) past the inner lip edges, so no teeth line is left where lips meet
ABOVE = 0.15  # of the mouth box side above the upper lip that stretches to absorb its shift
BELOW = 0.25  # of the mouth box side below the lower lip (the chin) that does
MIN_GAP = 1.0  # px (per 64 px of mouth box): a mouth open less than this counts as closed
REPASS_GAP = 6.0  # px (per 64 px of mouth box): dlib's gap on a crop above which it is warped again
CAVITY = np.array([52.0, 18.0, 20.0])  # RGB of the dark inside of a mouth
TEETH = np.array([198.0, 190.0, 178.0])  # RGB of teeth drawn where the image shows none
TOOTH = 0.05  # of the mouth box side: most upper teeth shown
TONGUE = np.array([150.0, 62.0, 66.0])  # RGB of a tongue in the light


def curve(points: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """y of a quadratic through `points` [N, 2] (least squares), at `xs`."""
    return np.polyval(np.polyfit(points[:, 0], points[:, 1], 2), xs)


def box_side(points: np.ndarray) -> float:
    """Side of the lip crop square (docs/DESIGN.md, Data rules) of these mouth points (the warp's unit of length)."""
    return float(1.3 * np.ptp(points, axis=0).max())


def mouth_gap(points: np.ndarray, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(upper inner edge, lower inner edge, gap >= 0) per column `xs`; the gap is 0 outside the inner corners."""
    inner = np.asarray(points, np.float64)[12:20]
    upper, lower = curve(inner[[0, 1, 2, 3, 4]], xs), curve(inner[[0, 7, 6, 5, 4]], xs)
    inside = (xs > inner[:, 0].min()) & (xs < inner[:, 0].max())
    return upper, lower, np.where(inside, np.clip(lower - upper, 0, None), 0.0)


def lens(points: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Shape of an opening, 1 at the middle of the inner corners, 0 at and outside them."""
    inner = np.asarray(points, np.float64)[12:20]
    lo, hi = inner[:, 0].min(), inner[:, 0].max()
    t = (xs - (lo + hi) / 2) / max((hi - lo) / 2, 1e-3)
    return np.sqrt(np.clip(1 - t * t, 0, None))


def reshape_mouth(image: np.ndarray, points: np.ndarray, opening: float) -> np.ndarray:
    """`image` [H, W, 3] with its mouth (`points` [20, 2] in image pixels) opened to `opening` px in the middle
    (0: closed). The inside is what the image shows between its lips; where that is thin, a dark cavity
    under the edge of the upper teeth."""
    h, w = image.shape[:2]
    pts = np.asarray(points, np.float64)
    unit = box_side(pts) / 64
    xs = np.arange(w, dtype=np.float64)
    upper, lower, gap = mouth_gap(pts, xs)
    target = opening * lens(pts, xs)
    if gap.max() < MIN_GAP * unit and target.max() < MIN_GAP * unit:
        return image.copy()
    meet = upper + UPPER_SHARE * gap
    new_upper, new_lower = meet - UPPER_SHARE * target, meet + (1 - UPPER_SHARE) * target
    reach = np.minimum(OVERSHOOT * unit, gap)
    top = curve(pts[[0, 1, 2, 3, 4, 5, 6]], xs)  # outer contour of the upper lip
    bottom = curve(pts[[6, 7, 8, 9, 10, 11, 0]], xs)
    shift_up, shift_down = new_upper - (upper - reach), new_lower - (lower + reach)
    ys = np.arange(h, dtype=np.float64)
    src = np.tile(ys[:, None], (1, w))
    hole = np.zeros((h, w), np.float32)  # 1 where the output shows the mouth's inside
    for x in np.flatnonzero((gap > 0) | (target > 0)):
        far_top, far_bottom = top[x] - ABOVE * 64 * unit, bottom[x] + BELOW * 64 * unit
        knots_out = [far_top, top[x] + shift_up[x], new_upper[x], new_lower[x] + 1e-3, bottom[x] + shift_down[x],
                     far_bottom]
        knots_in = [far_top, top[x], upper[x] - reach[x], lower[x] + reach[x], bottom[x], far_bottom]
        band = (ys > far_top) & (ys < far_bottom)
        src[band, x] = np.interp(ys[band], knots_out, knots_in)
        if target[x] > 0:  # faded in over the first pixel of an opening
            edge = np.minimum(ys - new_upper[x], new_lower[x] - ys) + 0.5
            hole[:, x] = np.clip(edge, 0, 1) * min(1.0, target[x] / unit)
    grid_x = np.tile(xs.astype(np.float32), (h, 1))
    out = cv2.remap(image, grid_x, src.astype(np.float32), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    if not hole.any():
        return out
    return fill_inside(out, image, hole, pts, new_upper, new_lower)


def fill_inside(out: np.ndarray, image: np.ndarray, hole: np.ndarray, pts: np.ndarray, new_upper: np.ndarray,
                new_lower: np.ndarray, cols: np.ndarray | None = None) -> np.ndarray:
    """Paint the opened mouth (where `hole` > 0, between `new_upper` and `new_lower` per column): what `image`
    shows between its lips `pts` at source columns `cols` (teeth), squeezed into a smaller opening or kept at its
    size against each lip in a larger one; elsewhere the inside drawn by `draw_inside`."""
    h, w = out.shape[:2]
    xs = np.arange(w, dtype=np.float64)
    cols = xs if cols is None else cols
    upper, lower, gap = mouth_gap(pts, cols)
    unit = box_side(pts) / 64
    gap = np.where(gap > 2 * MIN_GAP * unit, gap, 0.0)
    ys = np.arange(h, dtype=np.float64)[:, None]
    size = np.maximum(new_lower - new_upper, 1e-3)
    from_top, from_bottom = ys - new_upper, new_lower - ys
    squeeze = gap >= size  # the opening is smaller than the image's own: squeeze its inside into it
    half = gap / 2
    src = np.where(squeeze, upper + from_top * gap / size,
                   np.where(from_top < half, upper + from_top, lower - from_bottom))
    seen = np.where(squeeze, 1.0, np.clip(np.maximum(half - from_top, half - from_bottom) + 0.5, 0, 1))
    teeth = cv2.remap(image, np.tile(cols.astype(np.float32), (h, 1)), src.astype(np.float32), cv2.INTER_LINEAR,
                      borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
    cavity = draw_inside(size * (hole.max(0) > 0), from_top, from_bottom, unit)
    alpha, seen = hole[..., None], seen[..., None] * (gap > 0)[None, :, None]
    inner = seen * teeth + (1 - seen) * cavity
    return np.clip(out * (1 - alpha) + alpha * inner, 0, 255).round().astype(np.uint8)


def draw_inside(size: np.ndarray, from_top: np.ndarray, from_bottom: np.ndarray, unit: float) -> np.ndarray:
    """RGB [H, W, 3] of a mouth's inside, for openings `size` [W] (0 where shut) and each pixel's distance below
    the upper lip and above the lower one [H, W]: a cavity darker in its depth and towards the corners, the edge of
    the upper teeth once the mouth is open a few pixels, a tongue and then the lower teeth once it is wide open."""
    open_cols = np.flatnonzero(size > 0)
    xs = np.arange(len(size), dtype=np.float64)
    if len(open_cols):
        centre, half = (open_cols[0] + open_cols[-1]) / 2, max((open_cols[-1] - open_cols[0]) / 2, 1.0)
    else:
        centre, half = len(size) / 2, 1.0
    across = np.clip(1 - ((xs - centre) / half) ** 2, 0, 1)  # 1 mid-mouth, 0 at the corners
    sz = np.maximum(size, 1e-3)
    depth = np.clip(np.minimum(from_top, from_bottom) / (0.5 * sz), 0, 1)[..., None]
    cavity = CAVITY * (1 - 0.45 * depth) * (0.7 + 0.3 * across[:, None])
    tongue = (1 - (((xs - centre) / (0.7 * half)) ** 2 + (from_bottom / np.maximum(0.5 * sz, 1e-3)) ** 2)) * 3
    tongue = np.clip(tongue, 0, 1) * np.clip((size - 5 * unit) / (4 * unit), 0, 1) * (from_bottom >= -0.5)
    cavity = cavity + tongue[..., None] * (TONGUE * (0.95 - 0.3 * depth) - cavity)
    shade = 0.7 + 0.3 * across[:, None]  # teeth in the corners' shadow
    top_h = np.minimum(0.3 * size, TOOTH * 64 * unit)
    tooth = np.clip(top_h - from_top + 0.5, 0, 1) * (from_top >= -0.5)
    tooth *= np.clip((size - 2 * unit) / (4 * unit), 0, 1) * across ** 0.5
    fall = 1 - 0.2 * np.clip(from_top / np.maximum(top_h, 1e-3), 0, 1)[..., None]  # darker towards the tips
    cavity = cavity + tooth[..., None] * (TEETH * shade * fall - cavity)
    low_h = np.minimum(0.2 * size, 0.6 * TOOTH * 64 * unit)
    low = np.clip(low_h - from_bottom + 0.5, 0, 1) * (from_bottom >= -0.5)
    low *= np.clip((size - 10 * unit) / (6 * unit), 0, 1) * across ** 0.7
    return cavity + low[..., None] * (0.75 * TEETH * shade - cavity)


def close_mouth(crop: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The image with its mouth closed; a mouth already closed (gap < MIN_GAP) comes back unchanged."""
    return reshape_mouth(crop, points, 0.0)


def close_identity(crop: np.ndarray, points: np.ndarray | None = None, passes: int = 3,
                   is_open: Callable[[np.ndarray], bool] | None = None) -> np.ndarray:
    """Close the mouth of an identity crop. With `points` (from a whole face, accurate) one warp. Without,
    dlib reads the crop itself, less surely: on synthetic mouths it can take the teeth for the upper lip
    and sees a closed mouth ~7 px open. So it warps while `is_open` (default: always) says the mouth is
    open, at most `passes` times, and after the first warp only while dlib still sees the lips apart by
    REPASS_GAP (on a real crop it then sees them closed, and warping again would smear the lips)."""
    if points is not None:
        return close_mouth(crop, points)
    for k in range(passes):
        if is_open is not None and not is_open(crop):
            break
        found = crop_mouth_landmarks(np.ascontiguousarray(crop))
        if found is None or (k > 0 and np.linalg.norm(found[14] - found[18]) < REPASS_GAP * box_side(found) / 64):
            break
        crop = close_mouth(crop, found)
    return crop
