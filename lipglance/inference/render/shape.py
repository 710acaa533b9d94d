"""The shape renderer (beyond the paper): a photo's own lips moved to the shape head's 20 mouth points.

Per frame the shape head (lipglance.shape) gives the mouth's displacement from its rest shape, in
rest mouth widths, upright. `ShapeWarp` turns that into target points on the photo: its mouth
closed (upper lip down 40%, lower lip up 60% of the gap, as `lipglance.inference.render.closing` does), plus the
displacement scaled by the photo's mouth width and turned with its corner line. Then one warp,
at the photo's resolution, inside a box around the mouth and jaw:

- across: the mouth narrows or widens about its centre (rounding, spreading); the cheeks beside
  it absorb the change, fading out above and below the lips;
- down each column: the outer and inner edges of both lips go to their targets (upper and lower
  lip separately, thicker when protruded); the skin above the lip and down to the chin stretches
  (the jaw follows the lower lip); the box's edges never move.

Between the parted lips the inside is drawn (`lipglance.inference.render.inside`): upper teeth (the
photo's own where it shows them), lower teeth as the jaw drops, a tongue, a cavity shaded darker in its
depth, all in the colours of the photo's own lips, skin and teeth. An opening below
`lipglance.shape.CLOSED` is exactly closed lips, so p/b/m and silence close the mouth.
Nothing outside the box changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from lipglance.inference.render.closing import ABOVE, BELOW, UPPER_SHARE
from lipglance.inference.render.inside import Donor, MouthLook, fill_inside
from lipglance.inference.render.lips import box_side, curve, mouth_gap
from lipglance.inference.render.warp import MouthWarp
from lipglance.shape import CLOSED, mouth_width, opening_shape

SIDE_MARGIN = 0.35  # of the mouth width, beside each corner: cheek that absorbs narrowing and widening


def _curves(pts: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """[4, len(xs)]: outer top, inner upper, inner lower, outer bottom edges of the lips at columns xs."""
    upper, lower, _ = mouth_gap(pts, xs)
    top = curve(pts[[0, 1, 2, 3, 4, 5, 6]], xs)
    bottom = curve(pts[[6, 7, 8, 9, 10, 11, 0]], xs)
    lower = np.maximum(lower, upper)
    return np.stack([np.minimum(top, upper), upper, lower, np.maximum(bottom, lower)])


def closed_points(points: np.ndarray) -> np.ndarray:
    """Mouth points [20, 2] with the lips brought together the way a jaw closes (see module doc)."""
    pts = np.asarray(points, np.float64).copy()
    upper, lower, gap = mouth_gap(pts, pts[:, 0])
    up, low = [1, 2, 3, 4, 5, 13, 14, 15], [7, 8, 9, 10, 11, 17, 18, 19]
    pts[up, 1] += UPPER_SHARE * gap[up]
    pts[low, 1] -= (1 - UPPER_SHARE) * gap[low]
    return pts


@dataclass(frozen=True)
class ShapeWarp(MouthWarp):
    """A photo's (or lip crop's) mouth, moved to shapes; `for_photo` and `for_crop` find it as MouthWarp does."""

    @classmethod
    def for_image(cls, image: np.ndarray, points: np.ndarray) -> ShapeWarp:
        pts = np.asarray(points, np.float64)
        side, width = box_side(pts), float(mouth_width(pts))
        h, w = image.shape[:2]
        x0 = max(0, int(pts[:, 0].min() - SIDE_MARGIN * width) - 2)
        x1 = min(w, int(np.ceil(pts[:, 0].max() + SIDE_MARGIN * width)) + 3)
        y0 = max(0, int(pts[:, 1].min() - ABOVE * side) - 3)
        y1 = min(h, int(np.ceil(pts[:, 1].max() + BELOW * side)) + 4)
        return cls(image, pts, (x0, y0, x1, y1))

    def target(self, shape: np.ndarray) -> np.ndarray:
        """Image points [20, 2] for a shape [20, 2] (displacement from rest, rest widths, upright)."""
        rest = closed_points(self.points)
        d = rest[6] - rest[0]
        a = np.arctan2(d[1], d[0])
        rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        shape = np.asarray(shape, np.float64).copy()
        if shape[18, 1] - shape[14, 1] < CLOSED:  # sealed: inner lips meet halfway
            mid = (shape[13:16, 1] + shape[[19, 18, 17], 1]) / 2
            shape[13:16, 1], shape[[19, 18, 17], 1] = mid, mid
        return rest + shape @ rot.T * self.width

    def frame(self, shape: float | np.ndarray, donor: Donor | None = None) -> np.ndarray:
        """The image with its mouth moved to `shape` [20, 2] (zeros: closed at rest), or opened by a number of
        mouth widths (lipglance.shape.opening_shape); `donor`: an inside for the opening instead of the drawn one."""
        target = self.target(opening_shape(float(shape)) if np.ndim(shape) == 0 else np.asarray(shape))
        x0, y0, x1, y1 = self.roi
        out = self.image.copy()
        look = self.look if donor is None else MouthLook.given(donor, self.region.shape[1])
        out[y0:y1, x0:x1] = warp_mouth(self.region, self.points - [x0, y0], target - [x0, y0], look)
        return out


def warp_mouth(image: np.ndarray, src: np.ndarray, dst: np.ndarray, look: MouthLook | None = None) -> np.ndarray:
    """`image` [H, W, 3] with the mouth at points `src` [20, 2] moved to points `dst` (see module doc); `look`:
    `MouthLook.read(image, src)`, read here when not given."""
    h, w = image.shape[:2]
    unit = box_side(src) / 64
    xs = np.arange(w, dtype=np.float64)
    ys = np.arange(h, dtype=np.float64)
    # Across: the target mouth's corners come from the source's, the box's sides stay.
    ts, ss = sorted((dst[0, 0], dst[6, 0])), sorted((src[0, 0], src[6, 0]))
    edge_l, edge_r = -1.0, float(w)
    across = np.interp(xs, [edge_l, ts[0], ts[1], edge_r], [edge_l, ss[0], ss[1], edge_r])
    lips_top = min(dst[:, 1].min(), src[:, 1].min())
    lips_bottom = max(dst[:, 1].max(), src[:, 1].max())
    fade = np.interp(ys, [-1, lips_top - 2 * unit, lips_bottom + 2 * unit, h], [0, 1, 1, 0])
    map_x = xs[None, :] + fade[:, None] * (across - xs)[None, :]
    # Down each column: lip edges to their targets; columns beyond the corners fade back to rest.
    t_curves, s_curves = _curves(dst, xs), _curves(src, across)
    corner = np.clip(np.minimum(xs - ts[0], ts[1] - xs) / max(SIDE_MARGIN * (ts[1] - ts[0]), 1.0) + 1, 0, 1)
    _, _, s_gap = mouth_gap(src, across)
    reach = np.minimum(1.0 * unit, s_gap)
    s_curves[1] -= reach
    s_curves[2] += reach
    t_curves = s_curves + corner[None, :] * (t_curves - s_curves)
    far_top = np.minimum(t_curves[0], s_curves[0]) - ABOVE * 64 * unit
    far_bottom = np.maximum(t_curves[3], s_curves[3]) + BELOW * 64 * unit
    map_y = np.tile(ys[:, None], (1, w))
    step = 1e-3 * np.arange(8)
    for x in np.flatnonzero(corner > 0):
        knots_out = np.array([-1.0, far_top[x], *t_curves[:, x], far_bottom[x], h]) + step
        knots_in = np.array([-1.0, far_top[x], *s_curves[:, x], far_bottom[x], h]) + step
        map_y[:, x] = np.interp(ys, np.maximum.accumulate(knots_out), knots_in)
    out = cv2.remap(image, map_x.astype(np.float32), map_y.astype(np.float32), cv2.INTER_LINEAR,
                    borderMode=cv2.BORDER_REPLICATE)
    new_upper, new_lower = t_curves[1], t_curves[2]
    size = np.where(corner >= 1, new_lower - new_upper, 0.0)
    if size.max() < 0.5:
        return out
    edge = np.minimum(ys[:, None] - new_upper[None, :], new_lower[None, :] - ys[:, None]) + 0.5
    hole = (np.clip(edge, 0, 1) * np.clip(size / unit, 0, 1)[None, :]).astype(np.float32)
    return fill_inside(out, image, hole, src, new_upper, new_lower, across, look)
