"""How open the generated mouth is, frame by frame: the motion that animates a real photo (beyond the paper).

The bundled generator learnt lips from the synthetic corpus only; on a real photo it draws a
blurred mouth that hardly moves. Its motion is good, though, on the faces it knows. So for a
photo glance runs the generator on a *proxy*, a closed-mouth frame of its own training data,
reads how far each generated frame's mouth is open with `OpeningProbe`, and moves the photo's
own lips by that much (`lipglance.inference.render.warp`).

`OpeningProbe` is a ridge regression from a crop's grey mouth region to the inner-lip opening
(landmarks 62-66) of the cache it is fitted on; `MotionProbe` is the probe with its proxy. It
lives in the generator checkpoint (tensors `motion.*`), written by `lipglance motion`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from lipglance.data.cache import Cache
from lipglance.errors import UserError
from lipglance.shape import inner_opening, mouth_width

DEADZONE = 0.03  # relative opening (of the mouth width) read as closed: the probe's noise on closed mouths


def mouth_features(frames: np.ndarray) -> np.ndarray:
    """uint8 [N, 64, 64, 3] -> the grey mouth region at half resolution, per-frame standardised [N, 480]."""
    s = frames.shape[1] / 64
    grey = frames.astype(np.float32).mean(-1)[:, int(16 * s):int(56 * s), int(8 * s):int(56 * s)]
    x = grey[:, ::max(1, int(2 * s)), ::max(1, int(2 * s))].reshape(len(frames), -1)
    return (x - x.mean(1, keepdims=True)) / (x.std(1, keepdims=True) + 1e-3)


@dataclass(frozen=True)
class OpeningProbe:
    """Inner-lip opening (crop px) of lip crops like those of the cache it was fitted on, read by a linear model."""

    weights: np.ndarray
    bias: float

    @classmethod
    def fit(cls, cache: Cache, split: str = "train", clips: int = 500, ridge: float = 10.0) -> OpeningProbe:
        """Least squares with a ridge, on up to `clips` clips spread over the split, against the cache's landmarks."""
        items = cache.split(split)
        if not items:
            raise UserError(f"{cache.root}: split '{split}' is empty: nothing to fit the opening probe on")
        xs, ys = [], []
        for item in items[::max(1, len(items) // clips)]:
            crops = np.asarray(cache.crops(item))
            xs.append(mouth_features(crops))
            ys.append(inner_opening(np.asarray(cache.landmarks(item), np.float32)))
        x, y = np.concatenate(xs).astype(np.float64), np.concatenate(ys).astype(np.float64)
        w = np.linalg.solve(x.T @ x + ridge * np.eye(x.shape[1]), x.T @ (y - y.mean()))
        return cls(w, float(y.mean()))

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        return mouth_features(np.asarray(frames)) @ self.weights + self.bias


@dataclass(frozen=True)
class MotionProbe:
    probe: OpeningProbe
    proxy: np.ndarray  # uint8 [64, 64, 3], a closed mouth of the training data
    width: float  # the proxy's mouth width (crop px)
    gain: float = 1.0  # the generator under-opens (it regresses to the mean): calibrated by `lipglance motion`

    @classmethod
    def fit(cls, cache: Cache, split: str = "train") -> MotionProbe:
        """Fit the probe and pick the proxy: the most closed frame of the clip with the median mouth width."""
        probe = OpeningProbe.fit(cache, split)
        items = cache.split(split)[:: max(1, len(cache.split(split)) // 200)]
        points = [np.asarray(cache.landmarks(item), np.float32) for item in items]
        widths = np.array([np.median(mouth_width(p)) for p in points])
        k = int(np.argsort(widths)[len(widths) // 2])
        frame = int(np.argmin(inner_opening(points[k])))
        proxy = np.ascontiguousarray(np.asarray(cache.crops(items[k]))[frame])
        return cls(probe, proxy, float(mouth_width(points[k][frame])))

    def relative(self, frames: np.ndarray) -> np.ndarray:
        """Opening of generated proxy frames as a share of the mouth width, 0 in the dead zone."""
        r = self.probe(frames) / self.width
        return self.gain * np.clip(r - DEADZONE, 0, None)

    def to_tensors(self) -> dict[str, torch.Tensor]:
        return {"motion.weights": torch.from_numpy(self.probe.weights.astype(np.float32)),
                "motion.bias": torch.tensor(self.probe.bias, dtype=torch.float32),
                "motion.proxy": torch.from_numpy(self.proxy.copy()),
                "motion.width": torch.tensor(self.width, dtype=torch.float32),
                "motion.gain": torch.tensor(self.gain, dtype=torch.float32)}

    @classmethod
    def from_tensors(cls, tensors: dict[str, torch.Tensor]) -> MotionProbe | None:
        """The probe stored in a checkpoint's tensors, or None if it holds none."""
        if "motion.proxy" not in tensors:
            return None
        probe = OpeningProbe(tensors["motion.weights"].double().numpy(), float(tensors["motion.bias"]))
        return cls(probe, tensors["motion.proxy"].numpy().copy(), float(tensors["motion.width"]),
                   float(tensors["motion.gain"]))
