"""A mouth's lip curves from dlib's mouth points 48-67 (as [20, 2] in image pixels): the inner edges and the gap
between them per image column, and the mouth box's side, the unit of length of the mouth warps
(lipglance.inference.render.closing) and of the mouth's inside (lipglance.inference.render.inside).
"""

from __future__ import annotations

import numpy as np

MIN_GAP = 1.0  # px (per 64 px of mouth box): a mouth open less than this counts as closed


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
