"""A mouth's lip curves from dlib's mouth points 48-67 (as [20, 2] in image pixels): the inner edges and the gap
between them per image column, and the mouth box's side, the unit of length of the mouth warps
(lipglance.inference.render.closing) and of the mouth's inside (lipglance.inference.render.inside).
"""

from __future__ import annotations

import numpy as np

MIN_GAP = 1.0  # px (per 64 px of mouth box): a mouth open less than this counts as closed
LUMA = np.array([0.299, 0.587, 0.114])  # RGB weights of luminance (Rec. 601), for the mouth's colours


def lum_sat(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Luminance and saturation (max - min over max) of RGB pixels [..., 3], in `rgb`'s float type: how the mouth's
    inside tells teeth (bright, unsaturated) and cavity (dark) from lips."""
    lum = rgb @ LUMA.astype(rgb.dtype)
    return lum, (rgb.max(-1) - rgb.min(-1)) / np.maximum(rgb.max(-1), 1.0)


def curve(points: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """y of a quadratic through `points` [N, 2] (least squares), at `xs`.

    np.polyfit's solution (x centred and scaled by its half range), with the 3x3 normal equations solved in
    scalars: every frame fits a dozen of these on 5-7 points, where numpy's per-call overhead dominated."""
    pts = np.asarray(points, np.float64)
    x, y = pts[:, 0].tolist(), pts[:, 1].tolist()
    mid, half = 0.5 * (max(x) + min(x)), 0.5 * (max(x) - min(x))
    if half <= 1e-9:
        return np.full(np.shape(xs), sum(y) / len(y))
    u = [(v - mid) / half for v in x]
    s1, s2 = sum(u), sum(v * v for v in u)
    s3, s4 = sum(v**3 for v in u), sum(v**4 for v in u)
    uy = [a * b for a, b in zip(u, y, strict=True)]
    t0, t1, t2 = sum(y), sum(uy), sum(a * b for a, b in zip(u, uy, strict=True))
    n = float(len(u))
    det = s4 * (s2 * n - s1 * s1) - s3 * (s3 * n - s1 * s2) + s2 * (s3 * s1 - s2 * s2)
    if abs(det) < 1e-9:  # fewer than three distinct x: least squares of lower degree
        a, b, c = np.linalg.lstsq(np.stack([np.square(u), u, np.ones(len(u))], 1), y, rcond=None)[0]
    else:  # Cramer's rule on [[s4, s3, s2], [s3, s2, s1], [s2, s1, n]] @ (a, b, c) = (t2, t1, t0)
        a = (t2 * (s2 * n - s1 * s1) - s3 * (t1 * n - s1 * t0) + s2 * (t1 * s1 - s2 * t0)) / det
        b = (s4 * (t1 * n - s1 * t0) - t2 * (s3 * n - s1 * s2) + s2 * (s3 * t0 - t1 * s2)) / det
        c = (s4 * (s2 * t0 - t1 * s1) - s3 * (s3 * t0 - t1 * s2) + t2 * (s3 * s1 - s2 * s2)) / det
    t = (np.asarray(xs, np.float64) - mid) / half
    return (a * t + b) * t + c


def box_side(points: np.ndarray) -> float:
    """Side of the lip crop square (docs/DESIGN.md, Data rules) of these mouth points (the warp's unit of length)."""
    return float(1.3 * np.ptp(points, axis=0).max())


def mouth_gap(points: np.ndarray, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(upper inner edge, lower inner edge, gap >= 0) per column `xs`; the gap is 0 outside the inner corners."""
    inner = np.asarray(points, np.float64)[12:20]
    upper, lower = curve(inner[[0, 1, 2, 3, 4]], xs), curve(inner[[0, 7, 6, 5, 4]], xs)
    inside = (xs > inner[:, 0].min()) & (xs < inner[:, 0].max())
    return upper, lower, np.where(inside, np.clip(lower - upper, 0, None), 0.0)
