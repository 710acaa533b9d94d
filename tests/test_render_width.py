"""The shape renderer's width (issue 26): when the lips round or spread, the skin next to the mouth's corners moves with
them (CORNER_SKIN of the cheek band), so a photo's corner creases follow the corners; the box's sides stay."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lipglance.inference.model.lipsync import LipSync
from lipglance.inference.render import shape as shape_renderer
from lipglance.inference.render.shape import ShapeWarp
from lipglance.io.image import read_image
from lipglance.samples import sample_photos

MARK = np.array([0, 255, 0], np.uint8)


def narrowed(k: float) -> np.ndarray:
    """A shape whose corners move in by k rest widths each (their neighbours half as far): rounding."""
    s = np.zeros((20, 2))
    s[[0, 12], 0], s[[6, 16], 0] = k, -k
    s[[1, 11, 13, 19], 0], s[[5, 7, 15, 17], 0] = k / 2, -k / 2
    return s


def marked(warp: ShapeWarp, outside: float) -> tuple[ShapeWarp, int, int]:
    """The warp's photo with a thin green mark `outside` rest widths beyond its left corner, at the corner's rows;
    (that warp, the mark's column, the corner's row)."""
    image = warp.image.copy()
    x = int(round(warp.points[0, 0] - outside * warp.width))
    y = int(round(warp.points[0, 1]))
    image[y - 2:y + 3, x] = MARK
    return dataclasses.replace(warp, image=image), x, y


def mark_column(frame: np.ndarray, x: int, y: int, reach: int) -> float:
    """Column of the green mark in row y of a frame (searched within `reach` px of x): green above red and blue."""
    row = frame[y, x - reach:x + reach + 1].astype(np.float64)
    green = np.clip(row[:, 1] - row[:, [0, 2]].max(1), 0, None)
    assert green.max() > 40, "the mark is gone"
    return float(x - reach + (np.arange(len(row)) * green).sum() / green.sum())


@pytest.fixture(scope="module")
def warps(model: LipSync) -> list[ShapeWarp]:
    out = []
    for path in sample_photos():
        warp = model.prepare_warp(read_image(str(path)), 0, ShapeWarp)
        assert isinstance(warp, ShapeWarp)
        out.append(warp)
    return out


@pytest.mark.parametrize("k", [0.1, -0.06])
def test_the_skin_next_to_a_corner_moves_with_it(warps: list[ShapeWarp], k: float) -> None:
    for warp in warps:
        mark, x, y = marked(warp, 0.08)
        shift = float(mark.target(narrowed(k))[0, 0] - mark.target(np.zeros((20, 2)))[0, 0])
        assert abs(shift) > 2  # px: the corner does move
        moved = mark_column(mark.frame(narrowed(k)), x, y, int(abs(shift)) + 4) - x
        assert moved == pytest.approx(shift, abs=0.6), (moved, shift)


def test_the_box_sides_stay(warps: list[ShapeWarp]) -> None:
    for warp in warps:
        x0, y0, x1, y1 = warp.roi
        frame = warp.frame(narrowed(0.12))
        rows = slice(y0, y1)
        np.testing.assert_array_equal(frame[rows, x0], warp.image[rows, x0])
        np.testing.assert_array_equal(frame[rows, x1 - 1], warp.image[rows, x1 - 1])


def test_without_corner_skin_the_crease_lagged(warps: list[ShapeWarp], monkeypatch: pytest.MonkeyPatch) -> None:
    """The renderer before: the whole cheek band stretched, so the skin beside a corner moved less than the corner."""
    monkeypatch.setattr(shape_renderer, "CORNER_SKIN", 0.0)
    monkeypatch.setattr(shape_renderer, "rounding_of", lambda _: 0.0)  # nor the cheek that rounded lips draw in
    warp = warps[0]
    mark, x, y = marked(warp, 0.08)
    shift = float(mark.target(narrowed(0.1))[0, 0] - mark.target(np.zeros((20, 2)))[0, 0])
    moved = mark_column(mark.frame(narrowed(0.1)), x, y, int(shift) + 4) - x
    assert moved < 0.85 * shift
