"""The jaw (beyond the paper): the chin, the jaw line and the cheeks below the mouth move down with the opening.

A mouth opens mostly by lowering the jaw: the lower lip rides on it, the upper lip barely moves. `JawWarp` moves
the lower face of a photo down by a drop in pixels (the shape renderer, lipglance.inference.render.shape, gives
it JAW_SHARE of the inner-lip opening), along the face's down axis (perpendicular to the eye line), weighted:

- across, by the distance from the chin's vertical: the whole drop within FULL face widths (fw, dlib's points 0
  to 16) of it (the chin and the cheeks below the mouth corners), fading to none at FADE (the jaw's angles);
- down, from nothing at the lower lip's inner edge (upper lip, teeth and everything above stay) to the whole drop
  RAMP face widths below it (the lower lip and the skin under it stretch), then rigid down to the chin.

The moved lower face is a layer over the photo: its pixels come from inside the jaw contour (dlib's 2-14, closed
across the base of the nose, grown by MARGIN so the chin's edge and shadow travel with it), so where the chin moves
over the neck it covers the neck instead of stretching it, and the neck, collar and background are the photo's
own. The drop is at most MAX_DROP face widths, which keeps the warp free of folds (RAMP is long enough). The fields
are computed once per face; a frame costs one remap and one blend over a box around the lower face, and nothing
outside that box changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from lipglance.face import eye_centres
from lipglance.inference.render.lips import curve

FULL, FADE = 0.2, 0.46  # fw from the chin's vertical: the whole drop within FULL, none beyond FADE
RAMP = 0.18  # fw below the lower lip's inner edge where the drop is whole
MARGIN = 0.015  # fw the moved layer reaches beyond the jaw contour
MAX_DROP = 0.1  # fw: the most the jaw drops (speech: 0.04-0.09, docs/DESIGN.md)
TABLE_STEPS = 24  # drops at which a photo's mouth points are moved once (then interpolated per frame)


def _smooth(t: np.ndarray) -> np.ndarray:
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3 - 2 * t)


@dataclass(frozen=True)
class JawWarp:
    """A face's lower-face warp, precomputed on the pixels of `roi` (x0, y0, x1, y1)."""

    roi: tuple[int, int, int, int]
    grid: tuple[np.ndarray, np.ndarray]  # pixel x, y [h, w] float32 in roi coordinates
    weight: np.ndarray  # [h, w, 2] float32: x and y displacement per px of drop
    layer: np.ndarray  # [h, w] float32: 1 inside the moved layer (the jaw contour grown by MARGIN), 0 outside
    max_drop: float  # px
    face_width: float  # px

    @classmethod
    def for_face(cls, points: np.ndarray, shape: tuple[int, ...]) -> JawWarp:
        """From the face's 68 dlib landmarks [68, 2] in the pixels of an image of `shape` (H, W, ...)."""
        p = np.asarray(points, np.float64)
        left, right = eye_centres(p)
        along = (right - left) / max(float(np.linalg.norm(right - left)), 1e-6)
        down = np.array([-along[1], along[0]])
        fw = max(float(np.linalg.norm(p[16] - p[0])), 8.0)
        max_drop = MAX_DROP * fw
        lip = p[[60, 67, 66, 65, 64]]  # the lower lip's inner edge, corner to corner
        reach = np.concatenate([p[2:15], p[2:15] + down * (max_drop + MARGIN * fw + 2), lip])
        h, w = shape[:2]
        x0, y0 = (max(0, int(np.floor(c)) - 2) for c in reach.min(0))
        x1, y1 = min(w, int(np.ceil(reach[:, 0].max())) + 3), min(h, int(np.ceil(reach[:, 1].max())) + 3)
        ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float64)
        u = (xs - p[8, 0]) * along[0] + (ys - p[8, 1]) * along[1]
        v = xs * down[0] + ys * down[1]
        lu, lv = lip @ along - p[8] @ along, lip @ down
        edge = curve(np.stack([lu, lv], 1), np.clip(u, lu.min(), lu.max()))  # flat beyond the mouth corners
        across = 1 - _smooth((np.abs(u) - FULL * fw) / ((FADE - FULL) * fw))
        weight = across * _smooth((v - edge) / (RAMP * fw))
        layer = np.zeros((y1 - y0, x1 - x0), np.uint8)
        contour = np.concatenate([p[2:15], p[[35, 33, 31]]]) - [x0, y0]
        cv2.fillPoly(layer, [np.round(contour).astype(np.int32)], 255)
        grow = max(1, int(round(MARGIN * fw)))
        grown = cv2.dilate(layer, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)))
        soft = cv2.GaussianBlur(grown.astype(np.float32) / 255, (0, 0), 0.8)
        f = np.float32
        return cls((x0, y0, x1, y1), ((xs - x0).astype(f), (ys - y0).astype(f)),
                   np.stack([weight * down[0], weight * down[1]], axis=-1).astype(f), soft, max_drop, fw)

    def clamp(self, drop: float) -> float:
        return float(np.clip(drop, 0.0, self.max_drop))

    def move_points(self, points: np.ndarray, drop: float) -> np.ndarray:
        """Points [N, 2] (image pixels) where the warp of `drop` px shows them: the output position p whose source
        p - drop * weight(p) is the point, found by fixed-point iteration (the warp has no folds, so it converges)."""
        pts = np.asarray(points, np.float64)
        x0, y0, x1, y1 = self.roi
        inside = (pts[:, 0] >= x0) & (pts[:, 0] < x1) & (pts[:, 1] >= y0) & (pts[:, 1] < y1)
        d = self.clamp(drop)
        if d <= 0 or not inside.any():
            return pts
        src = pts[inside] - [x0, y0]
        top = np.array([x1 - x0 - 1.001, y1 - y0 - 1.001])
        at = src.copy()
        for _ in range(4):
            g = np.clip(at, 0, top)
            i = g.astype(int)
            f = g - i
            cell = self.weight[i[:, 1, None, None] + [[0], [1]], i[:, 0, None, None] + [[0, 1]]]  # [n, 2, 2, 2]
            fx, fy = f[:, 0, None], f[:, 1, None]
            row = cell[:, :, 0] * (1 - fx[:, None]) + cell[:, :, 1] * fx[:, None]
            at = src + d * (row[:, 0] * (1 - fy) + row[:, 1] * fy)
        out = pts.copy()
        out[inside] = at + [x0, y0]
        return out

    def points_table(self, points: np.ndarray, steps: int = TABLE_STEPS) -> np.ndarray:
        """`move_points` of `points` [N, 2] at `steps` + 1 drops from 0 to the most [steps + 1, N, 2], for
        `table_points` (a photo's mouth moves with every frame's drop; its points stay the same)."""
        return np.stack([self.move_points(points, d) for d in np.linspace(0, self.max_drop, steps + 1)])

    def table_points(self, table: np.ndarray, drop: float) -> np.ndarray:
        """The points of a `points_table` at `drop` px (linear between its drops)."""
        at = self.clamp(drop) / max(self.max_drop, 1e-9) * (len(table) - 1)
        k = min(int(at), len(table) - 2)
        return table[k] + (at - k) * (table[k + 1] - table[k])

    def apply(self, out: np.ndarray, image: np.ndarray, drop: float) -> None:
        """Write into `out` (of `image`'s shape) the lower face of `image` lowered by `drop` px (see module doc);
        only the pixels of `roi` are written."""
        d = self.clamp(drop)
        x0, y0, x1, y1 = self.roi
        region = np.ascontiguousarray(image[y0:y1, x0:x1])
        if d <= 0:
            out[y0:y1, x0:x1] = region
            return
        gx, gy = self.grid
        map_x, map_y = gx - np.float32(d) * self.weight[..., 0], gy - np.float32(d) * self.weight[..., 1]
        moved = cv2.remap(region, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        alpha = cv2.remap(self.layer, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        out[y0:y1, x0:x1] = cv2.blendLinear(moved, region, alpha, 1 - alpha)
