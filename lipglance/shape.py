"""Mouth shape: the one definition of mouth opening, width and shape in glance (beyond the paper).

A frame's shape is its 20 mouth points (dlib 48-67) as a displacement from the speaker's rest
mouth (lips lightly closed, neutral width), in units of the rest mouth's width, in a frame that
turns with the head: centred on the mouth corners' midpoint, the corner line horizontal. So the
same number means the same movement on a 64-pixel lip crop and on a 4000-pixel photo.

Lip crops are rescaled to the mouth box every frame (the paper's crop rule), which hides how
wide the mouth really is: a rounded mouth fills the crop as a spread one does. A cache that
stores each frame's crop side in source pixels (`crop_side`, and `head_scale` for a synthetic
head that moves) lets `true_points` undo that. A `ShapeBasis` (PCA of the training split's
shapes) gives the few numbers the generator's shape head predicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

POINTS = 20
CLOSED = 0.03  # rest mouth widths: an inner opening below this is sealed lips (1.5 px on a 50-px mouth)
WIDE = 3 * CLOSED  # a truth opening above this is clearly open: a closed mouth there is a false closure
REST_MARGIN = 0.08  # s: a rest frame's visual time lies this far inside a silence


def inner_opening(points: np.ndarray) -> np.ndarray:
    """Inner-lip opening (distance of points 62 and 66) of mouth points [..., 20, 2]."""
    return np.linalg.norm(points[..., 14, :] - points[..., 18, :], axis=-1)


def mouth_width(points: np.ndarray) -> np.ndarray:
    """Corner to corner (points 48 and 54) of mouth points [..., 20, 2]."""
    return np.linalg.norm(points[..., 0, :] - points[..., 6, :], axis=-1)


def opening_of(shape: np.ndarray) -> np.ndarray:
    """Inner opening of shapes (displacements from a closed rest mouth) [..., 20, 2], in rest widths."""
    return np.clip(shape[..., 18, 1] - shape[..., 14, 1], 0, None)


def width_of(shape: np.ndarray) -> np.ndarray:
    """Mouth width of shapes [..., 20, 2] relative to the rest width (1 = rest)."""
    return 1.0 + shape[..., 6, 0] - shape[..., 0, 0]


def opening_shape(opening: float | np.ndarray) -> np.ndarray:
    """Shapes [..., 20, 2] that only open the mouth by `opening` rest widths, the way a jaw does (the upper lip
    takes a third, the lower lip the rest), with no change of width: what a one-number motion can say."""
    r = np.asarray(opening, np.float64)[..., None]
    out = np.zeros((*r.shape[:-1], POINTS, 2))
    up, low = [1, 2, 3, 4, 5, 13, 14, 15], [7, 8, 9, 10, 11, 17, 18, 19]
    side = np.array([0.7, 1, 1, 1, 0.7, 0.7, 1, 0.7])  # points off the middle open less
    out[..., up, 1] = -0.32 * r * side
    out[..., low, 1] = 0.68 * r * side
    return out


def upright(points: np.ndarray) -> np.ndarray:
    """Points [T, 20, 2] centred on the corners' midpoint and turned so the corner line is horizontal."""
    pts = np.asarray(points, np.float64)
    centre = (pts[:, 0] + pts[:, 6]) / 2
    d = pts[:, 6] - pts[:, 0]
    a = np.arctan2(d[:, 1], d[:, 0])
    c, s = np.cos(-a)[:, None], np.sin(-a)[:, None]
    x, y = pts[..., 0] - centre[:, :1], pts[..., 1] - centre[:, 1:]
    return np.stack([c * x - s * y, s * x + c * y], axis=-1)


def true_points(item: dict[str, Any], landmarks: np.ndarray) -> np.ndarray:
    """Crop-pixel landmarks [T, 20, 2] -> upright points at the mouth's true relative size (see module doc)."""
    meta = item.get("meta", {})
    n = len(landmarks)
    side = np.asarray(meta.get("crop_side", np.full(n, 64.0)), np.float64)[:n] / 64
    side = side / np.asarray(meta.get("head_scale", np.ones(n)), np.float64)[:n]
    return upright(landmarks) * side[:, None, None]


def visual_times(item: dict[str, Any], n: int, fps: int = 25) -> np.ndarray:
    """The speech time each of `n` frames shows (frame centre plus the clip's audio-visual lead)."""
    return (np.arange(n) + 0.5) / fps + float(item.get("meta", {}).get("lead", 0.0))


def rest_frames(item: dict[str, Any], n: int) -> np.ndarray:
    """Frames showing the rest mouth: their visual time lies inside a silence, REST_MARGIN from speech.
    Without phone timings (a real dataset), the frames of least inner opening of the first and last second."""
    phones = item.get("meta", {}).get("phones")
    if phones:
        t = visual_times(item, n)
        speech = [(start, end) for canon, start, end in phones if canon != "sil"]
        ok = np.ones(n, bool) if speech else np.zeros(n, bool)
        for start, end in speech:
            ok &= (t < start - REST_MARGIN) | (t > end + REST_MARGIN)
        if ok.any():
            return np.flatnonzero(ok)
    return np.array([0, n - 1])


def clip_shapes(item: dict[str, Any], landmarks: np.ndarray) -> np.ndarray:
    """Shapes [T, 20, 2] of a clip: displacement from its mean rest mouth, in rest widths."""
    pts = true_points(item, np.asarray(landmarks, np.float64))
    rest = pts[rest_frames(item, len(pts))].mean(0)
    return (pts - rest) / max(float(mouth_width(rest)), 1e-6)


@dataclass(frozen=True)
class ShapeBasis:
    """PCA of shapes: shape = mean + coeffs @ components (flattened [40]); coefficients scaled to unit variance."""

    mean: np.ndarray  # [40]
    components: np.ndarray  # [K, 40], orthonormal rows, scaled by each coefficient's std

    @classmethod
    def fit(cls, shapes: np.ndarray, k: int) -> ShapeBasis:
        x = np.asarray(shapes, np.float64).reshape(len(shapes), -1)
        mean = x.mean(0)
        _, sv, vt = np.linalg.svd(x - mean, full_matrices=False)
        std = sv[:k] / np.sqrt(max(len(x) - 1, 1))
        return cls(mean, vt[:k] * std[:, None])

    def encode(self, shapes: np.ndarray) -> np.ndarray:
        """Shapes [..., 20, 2] -> unit-variance coefficients [..., K]."""
        x = np.asarray(shapes, np.float64).reshape(*np.shape(shapes)[:-2], -1) - self.mean
        scale = (self.components ** 2).sum(1)
        return x @ self.components.T / scale

    def decode(self, coeffs: np.ndarray) -> np.ndarray:
        """Coefficients [..., K] -> shapes [..., 20, 2]."""
        x = np.asarray(coeffs, np.float64) @ self.components + self.mean
        return x.reshape(*np.shape(coeffs)[:-1], POINTS, 2)

    def to_tensors(self, prefix: str) -> dict[str, torch.Tensor]:
        return {f"{prefix}mean": torch.from_numpy(self.mean.astype(np.float32)),
                f"{prefix}components": torch.from_numpy(self.components.astype(np.float32))}


def frame_classes(item: dict[str, Any], n: int) -> np.ndarray:
    """Per frame the viseme class its visual time falls in ("bilabial", "rounded", "spread", "" otherwise),
    from the clip's phone timings: a bilabial while the lips are sealed (lipglance.synth.articulation's
    closure window), a rounded vowel (or w) or a spread vowel in the middle 60% of its time."""
    from lipglance.synth.articulation import BILABIAL, closure_half
    from lipglance.synth.phonemes import VOWELS, targets

    out = np.full(n, "", dtype=object)
    t = visual_times(item, n)
    for canon, start, end in item.get("meta", {}).get("phones", ()):
        if canon in BILABIAL:
            mid = (start + end) / 2
            out[np.abs(t - mid) <= closure_half(end - start)] = "bilabial"
            continue
        first, second = targets(canon)
        if canon not in (*VOWELS, "w") or first != second:
            continue
        inner = (t > start + 0.2 * (end - start)) & (t < end - 0.2 * (end - start)) & (out == "")
        if first.round >= 0.5:
            out[inner] = "rounded"
        elif first.spread >= 0.5:
            out[inner] = "spread"
    return out
