"""Move a mouth's lips with a landmark-guided vertical warp: close an open mouth, or open it (beyond the paper).

The generator keeps much of its identity frame: given a smile with teeth it speaks with teeth
and, on silence, never quite closes (issue 6). So `lipglance generate` first closes the identity's
mouth, the way a jaw closes: in every image column between the inner mouth corners the upper
lip moves down and the lower lip up, each as a rigid block, until the inner lip edges meet; the
skin above the upper lip and between the lower lip and the chin stretches or compresses to
absorb the shift, and everything further out (and every column outside the mouth) stays where it
is. Lips keep the photo's own texture, so a closed real mouth stays sharp.

`reshape_mouth` does the same towards any opening: the lips part along the closed mouth's seam
by a lens-shaped gap, and the mouth's inside is drawn by `lipglance.inference.render.inside` (the image's own upper
teeth where it shows them, drawn teeth, tongue and cavity in the face's light).

Mouth points are dlib's 48-67 in image pixels: 48-59 the outer contour (48 and 54 the corners,
51 top, 57 bottom), 60-67 the inner one (61-63 upper, 65-67 lower).
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from lipglance.face import crop_mouth_landmarks
from lipglance.inference.render.inside import MouthLook, fill_inside
from lipglance.inference.render.lips import MIN_GAP, box_side, curve, mouth_gap

UPPER_SHARE = 0.4  # of an opening made by the upper lip; the jaw makes the rest
OVERSHOOT = 1.0  # px (per 64 px of mouth box) past the inner lip edges, so no teeth line is left where lips meet
ABOVE = 0.15  # of the mouth box side above the upper lip that stretches to absorb its shift
BELOW = 0.25  # of the mouth box side below the lower lip (the chin) that does
REPASS_GAP = 6.0  # px (per 64 px of mouth box): dlib's gap on a crop above which it is warped again


def lens(points: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Shape of an opening, 1 at the middle of the inner corners, 0 at and outside them."""
    inner = np.asarray(points, np.float64)[12:20]
    lo, hi = inner[:, 0].min(), inner[:, 0].max()
    t = (xs - (lo + hi) / 2) / max((hi - lo) / 2, 1e-3)
    return np.sqrt(np.clip(1 - t * t, 0, None))


def reshape_mouth(image: np.ndarray, points: np.ndarray, opening: float, look: MouthLook | None = None) -> np.ndarray:
    """`image` [H, W, 3] with its mouth (`points` [20, 2] in image pixels) opened to `opening` px in the middle
    (0: closed). The inside is drawn by lipglance.inference.render.inside (`look`: its reading of `image`, read
    here when not given)."""
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
    return fill_inside(out, image, hole, pts, new_upper, new_lower, look=look)


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
