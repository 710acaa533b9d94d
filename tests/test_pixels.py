"""The one uint8 <-> network-value conversion (lipglance/pixels.py)."""

from __future__ import annotations

import numpy as np
import torch

from lipglance.pixels import to_u8, to_unit


def test_every_level_round_trips_in_numpy_and_torch() -> None:
    levels = np.arange(256, dtype=np.uint8).reshape(16, 16)
    unit = to_unit(levels)
    assert unit.dtype == np.float32 and unit.min() == -1 and unit.max() == 1
    assert np.array_equal(to_u8(unit), levels)
    t = to_unit(torch.from_numpy(levels))
    assert torch.equal(t, torch.from_numpy(unit))  # bit-identical on both paths
    assert torch.equal(to_u8(t), torch.from_numpy(levels))


def test_going_back_clamps_and_rounds() -> None:
    values = np.array([-3.0, -1.0, 0.0, 1 / 127.5 * 0.49, 1.0, 7.0, np.float32(0.5 / 127.5)], np.float32)
    # -1 -> 0, 0 -> 127.5 rounds to 128 (half to even in NumPy and torch alike), out of range clamps.
    expected = np.round((np.clip(values, -1, 1) + 1) * 127.5).astype(np.uint8)
    assert np.array_equal(to_u8(values), expected) and expected[0] == 0 and expected[5] == 255
    assert np.array_equal(to_u8(torch.from_numpy(values)).numpy(), expected)
