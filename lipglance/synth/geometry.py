"""Articulation + per-identity lip shape -> the 20 mouth points in dlib's 48-67 order.

Mouth units: origin at the centre of the lip line, x right, y down, neutral half-width 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lipglance.synth.articulation import PARAMS

_I = {p: i for i, p in enumerate(PARAMS)}


@dataclass(frozen=True)
class LipShape:
    """Per-identity mouth shape parameters (mouth units)."""

    width: float = 1.0  # neutral half-width
    upper: float = 0.30  # upper-lip thickness at the centre
    lower: float = 0.38  # lower-lip thickness at the centre
    bow: float = 0.06  # cupid's bow depth
    corner: float = 0.0  # corner height (+ = up)
    asym: float = 0.0  # right corner minus left corner height
    max_open: float = 1.0  # inner gap at open = 1
    articulation: float = 1.0  # how widely this person articulates

    @classmethod
    def sample(cls, rng: np.random.Generator) -> LipShape:
        return cls(
            width=float(rng.uniform(0.9, 1.1)),
            upper=float(rng.uniform(0.18, 0.36)),
            lower=float(rng.uniform(0.26, 0.48)),
            bow=float(rng.uniform(0.0, 0.12)),
            corner=float(rng.uniform(-0.08, 0.06)),
            asym=float(rng.uniform(-0.05, 0.05)),
            max_open=float(rng.uniform(0.85, 1.15)),
            articulation=float(rng.uniform(0.8, 1.15)),
        )


def mouth_points(art: np.ndarray, shape: LipShape) -> np.ndarray:
    """Articulation [7] -> points [20, 2] (outer 48-59, inner 60-67) in mouth units."""
    a = {p: float(art[i]) for p, i in _I.items()}
    rnd, spread = a["round"], a["spread"]
    w = shape.width * (1.0 + 0.12 * spread - 0.28 * rnd)
    wi = w * (0.84 - 0.12 * rnd)
    gap = min(1.0, a["open"] * shape.articulation) * shape.max_open
    lab = a["labiodental"]
    up_gap = 0.32 * gap + 0.10 * lab  # upper lip lifts a little to show the teeth in f/v
    low_gap = 0.68 * gap - 0.06 * lab  # lower lip tucks up under the upper teeth
    power = 1.0 - 0.5 * rnd  # rounder opening when rounded
    tu, tl = shape.upper * (1 + 0.35 * rnd), shape.lower * (1 + 0.3 * rnd)
    y_corner_l = -shape.corner - shape.asym / 2 + 0.15 * gap * (1 - rnd)
    y_corner_r = -shape.corner + shape.asym / 2 + 0.15 * gap * (1 - rnd)

    def inner(x: float, g: float) -> float:
        return g * max(0.0, 1.0 - (abs(x) / wi) ** 2) ** power

    def thick(x: float, t: float, keep: float) -> float:
        return t * (1.0 - keep * (abs(x) / w) ** 2)

    pts = np.zeros((20, 2))
    # outer upper: 48 (left corner), 49, 50, 51, 52, 53, 54 (right corner)
    for k, f in enumerate((-1.0, -0.62, -0.28, 0.0, 0.28, 0.62, 1.0)):
        x = f * w
        y = -inner(f * wi, up_gap) - thick(x, tu, 0.75) if abs(f) < 1 else (y_corner_l if f < 0 else y_corner_r)
        if abs(f) == 0.28:
            y -= shape.bow  # the peaks of the cupid's bow
        pts[k] = (x, y)
    # outer lower: 55, 56, 57, 58, 59 (right to left)
    for k, f in enumerate((0.62, 0.28, 0.0, -0.28, -0.62)):
        x = f * w
        pts[7 + k] = (x, inner(f * wi, low_gap) + thick(x, tl, 0.6))
    # inner: 60 (left corner), 61, 62, 63 (upper), 64 (right corner), 65, 66, 67 (lower, right to left)
    pts[12] = (-wi, y_corner_l * 0.6)
    for k, f in enumerate((-0.5, 0.0, 0.5)):
        pts[13 + k] = (f * wi, -inner(f * wi, up_gap))
    pts[16] = (wi, y_corner_r * 0.6)
    for k, f in enumerate((0.5, 0.0, -0.5)):
        pts[17 + k] = (f * wi, inner(f * wi, low_gap))
    # inner corners follow the outer corners' height; keep the inner lower at or below the upper
    pts[17:20, 1] = np.maximum(pts[17:20, 1], pts[[15, 14, 13], 1])
    return pts


def inner_gap(points: np.ndarray) -> float:
    """Vertical inner-lip gap at the centre (point 66 minus point 62), in the points' units."""
    return float(points[18, 1] - points[14, 1])
