"""Overlapping windows and their cross-fade, and the closure decision per frame: shared by `LipSync` (offline),
the live path and the ONNX backend.

Long audio goes through the networks in windows of `frames` frames at hop frames/2; `crossfade` blends the
windows' outputs where they overlap and yields each frame as soon as it is final, so memory does not grow with
the recording. The shape head's per-frame parts are `packed` as [41] (20 points x 2, then the closure logit) so
that shapes and logits are cross-faded together; `gated_shape` then decides closed or not on the blended logit, and
`fit_width` gives an open frame the width a round track heard (lipglance.nn.seal.RoundTrack).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np


def packed(shapes: np.ndarray, logit: np.ndarray | None) -> np.ndarray:
    """Shapes [B, T, 20, 2] and closure logits [B, T] (or None: zeros) -> float32 [B, T, 41]."""
    b, t = shapes.shape[:2]
    lg = logit if logit is not None else np.zeros((b, t), np.float32)
    return np.concatenate([shapes.reshape(b, t, 40), lg[..., None]], -1).astype(np.float32)


def gated_shape(parts: np.ndarray, gated: bool, threshold: float, closed: np.ndarray,
                width_gain: float = 1.0) -> np.ndarray:
    """A frame's shape [20, 2] from its `packed` parts [41]: `closed` where the gate's logit passes `threshold`, else
    the head's shape with its horizontal displacements times `width_gain` (GeneratorConfig.shape_width_gain)."""
    if gated and parts[40] > threshold:
        return closed
    shape = parts[:40].reshape(20, 2)
    if width_gain != 1.0:
        shape = shape * np.array([width_gain, 1.0], np.float32)
    return shape


def fit_width(shape: np.ndarray, width: float, rest_x: np.ndarray) -> np.ndarray:
    """`shape` [20, 2] (displacements from the rest mouth, whose points lie at `rest_x` [20] about its centre with
    its corners 1 apart) scaled horizontally about its corners' midpoint so that its width (lipglance.shape.width_of)
    is `width`; its vertical displacements (the openings) are the same array values."""
    x = rest_x + shape[:, 0]
    mid, span = (x[0] + x[6]) / 2, x[6] - x[0]
    out = shape.copy()
    out[:, 0] = mid + (x - mid) * (width / max(float(span), 1e-3)) - rest_x
    return out


def crossfade(chunks: Iterable[np.ndarray], n: int, frames: int) -> Iterator[np.ndarray]:
    """The `n` frames of overlapping windows of `frames` frames (hop frames/2), cross-faded where they meet;
    each frame is yielded as soon as it is final, so memory does not grow with n."""
    hop = frames // 2
    weights = blend_weights(frames, hop)
    acc: np.ndarray | None = None
    wsum = np.zeros(frames + hop, np.float32)
    n_windows = max(1, -(-(n - frames) // hop) + 1)
    done = 0
    for i, chunk in enumerate(chunks):
        if acc is None:
            acc = np.zeros((frames + hop, *chunk.shape[1:]), np.float32)
        w = weights.copy()
        if i == 0:
            w[:hop] = 1.0
        if i == n_windows - 1:
            w[hop:] = 1.0
        acc[:frames] += chunk * w.reshape(-1, *([1] * (chunk.ndim - 1)))
        wsum[:frames] += w
        for k in range(hop if i < n_windows - 1 else frames):
            if done < n:
                yield acc[k] / wsum[k]
                done += 1
        acc = np.roll(acc, -hop, axis=0)
        wsum = np.roll(wsum, -hop)
        acc[-hop:] = 0
        wsum[-hop:] = 0


def blend_weights(frames: int, hop: int) -> np.ndarray:
    """Cross-fade weights of one window: ramps over the overlap, flat in the middle."""
    overlap = frames - hop
    w = np.ones(frames, np.float32)
    ramp = (np.arange(overlap, dtype=np.float32) + 0.5) / overlap
    w[:overlap] = ramp
    w[-overlap:] = ramp[::-1]
    return w
