"""The one conversion between uint8 pixels (0..255) and the networks' values (-1..1).

Both directions keep the array's layout (callers permute channels themselves) and work on torch tensors
and numpy arrays alike (numpy only is imported here); going back to uint8 clamps to -1..1 and rounds to
the nearest level, so `to_u8(to_unit(x)) == x` for every uint8 x.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, overload

import numpy as np

if TYPE_CHECKING:
    import torch

SCALE = 127.5  # one uint8 level is 1 / SCALE in network units


@overload
def to_unit(pixels: np.ndarray) -> np.ndarray: ...
@overload
def to_unit(pixels: torch.Tensor) -> torch.Tensor: ...
def to_unit(pixels: Any) -> Any:
    """uint8 (or any numeric) pixels 0..255 -> float32 values -1..1."""
    if isinstance(pixels, np.ndarray):  # one NumPy pass into a C-contiguous array (fast to stack)
        out = np.empty(pixels.shape, np.float32)
        # A true division, as torch's: bit-identical values on both paths (the ONNX backend is held to PyTorch).
        np.divide(pixels, np.float32(SCALE), out=out, casting="unsafe")
        out -= np.float32(1)
        return out
    return pixels.float().div(SCALE).sub(1)


@overload
def to_u8(values: np.ndarray) -> np.ndarray: ...
@overload
def to_u8(values: torch.Tensor) -> torch.Tensor: ...
def to_u8(values: Any) -> Any:
    """float values -1..1 -> uint8 pixels 0..255, clamped and rounded."""
    if isinstance(values, np.ndarray):
        return np.round((np.clip(values, -1, 1) + 1) * SCALE).astype(np.uint8)
    return values.float().clamp(-1, 1).add(1).mul(SCALE).round().byte()
