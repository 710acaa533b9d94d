"""Frame metrics (docs/DESIGN.md, Evaluation protocol), each a registered function of (generated, real) uint8 clips.

PSNR is computed in float (the authors' uint8 PSNR wrapped around). SSIM is scikit-image's
`structural_similarity` (Wang et al. 2004: 7x7 uniform window, K1 0.01, K2 0.03, RGB averaged
over channels, data range 255). CPBD follows Narvekar & Karam 2011. LMD uses dlib mouth
points 48-67, mean-centred per frame, mean distance per point in 64x64 crop pixels.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from skimage.feature import canny
from skimage.metrics import structural_similarity

from lipglance.face import crop_mouth_landmarks

MetricFn = Callable[[np.ndarray, np.ndarray], dict[str, float]]
METRICS: dict[str, MetricFn] = {}


def register(name: str) -> Callable[[MetricFn], MetricFn]:
    def wrap(fn: MetricFn) -> MetricFn:
        METRICS[name] = fn
        return fn
    return wrap


@register("psnr")
def psnr(fake: np.ndarray, real: np.ndarray) -> dict[str, float]:
    """Mean over frames of 10 log10(255^2 / MSE), in float."""
    mse = ((fake.astype(np.float64) - real.astype(np.float64)) ** 2).reshape(len(fake), -1).mean(1)
    return {"psnr": float(np.mean(10 * np.log10(255.0**2 / np.maximum(mse, 255.0**2 * 1e-10))))}  # <= 100 dB


@register("ssim")
def ssim(fake: np.ndarray, real: np.ndarray) -> dict[str, float]:
    vals = [structural_similarity(f, r, channel_axis=-1, data_range=255) for f, r in zip(fake, real, strict=True)]
    return {"ssim": float(np.mean(vals))}


def edge_width(line: np.ndarray, x: int, rising: bool) -> int:
    """Marziliano width of the edge at `x` of a 1-D profile: the distance between the extrema on either
    side, found by walking while the profile keeps rising (or falling) away from `x`."""
    sign = 1.0 if rising else -1.0
    left = x
    while left > 0 and sign * (line[left] - line[left - 1]) > 0:
        left -= 1
    right = x
    while right < len(line) - 1 and sign * (line[right + 1] - line[right]) > 0:
        right += 1
    return right - left


def cpbd_frame(rgb: np.ndarray, p_jnb: float = 0.63, beta: float = 3.6) -> float:
    """Cumulative probability of blur detection of one frame (higher = sharper; Narvekar & Karam 2011).

    Canny edge pixels; each edge's width (Marziliano) is measured across the edge: along the row
    where the horizontal gradient dominates (a vertical edge), along the column where the vertical
    one does (a horizontal edge, such as the lip contours). P_blur = 1 - exp(-(w / w_JNB)^beta) with
    w_JNB = 5 px at contrast <= 50 and 3 px above; the score is the share of edges with P_blur <= P_JNB.
    """
    grey = rgb.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    edges = canny(grey)
    if edges.sum() == 0:
        return 0.0
    gx = np.zeros_like(grey)
    gx[:, 1:-1] = grey[:, 2:] - grey[:, :-2]
    gy = np.zeros_like(grey)
    gy[1:-1] = grey[2:] - grey[:-2]
    contrast = grey.max() - grey.min()
    w_jnb = 5.0 if contrast <= 50 else 3.0
    probs = []
    for y, x in zip(*np.nonzero(edges), strict=True):
        if abs(gx[y, x]) >= abs(gy[y, x]):  # across a vertical edge: along the row
            width = edge_width(grey[y], x, gx[y, x] >= 0)
        else:  # across a horizontal edge: along the column
            width = edge_width(grey[:, x], y, gy[y, x] >= 0)
        if width <= 0:
            continue
        probs.append(1.0 - np.exp(-((width / w_jnb) ** beta)))
    return float(np.mean(np.array(probs) <= p_jnb)) if probs else 0.0


@register("cpbd")
def cpbd(fake: np.ndarray, real: np.ndarray) -> dict[str, float]:
    return {"cpbd": float(np.mean([cpbd_frame(f) for f in fake]))}


def lmd_frames(fake: np.ndarray, real: np.ndarray) -> tuple[list[float], int]:
    """Per-frame landmark distances and the number of frames where detection failed (either side)."""
    dists, failures = [], 0
    for f, r in zip(fake, real, strict=True):
        pf, pr = crop_mouth_landmarks(f), crop_mouth_landmarks(r)
        if pf is None or pr is None:
            failures += 1
            dists.append(float("nan"))
            continue
        pf, pr = pf - pf.mean(0), pr - pr.mean(0)
        dists.append(float(np.linalg.norm(pf - pr, axis=1).mean()))
    return dists, failures


@register("lmd")
def lmd(fake: np.ndarray, real: np.ndarray) -> dict[str, float]:
    dists, failures = lmd_frames(fake, real)
    ok = [d for d in dists if d == d]
    return {"lmd": float(np.mean(ok)) if ok else float("nan"), "lmd_failures": float(failures)}
