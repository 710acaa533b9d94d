"""The inside of an opened mouth (lipglance.inference.render.inside) on real photos: teeth that look like teeth,
no dark bar splitting a grin's teeth, no flicker, and lips that close without the teeth smeared onto them."""

from __future__ import annotations

import numpy as np
import pytest

from lipglance.inference.render.inside import MouthLook
from lipglance.inference.render.lips import mouth_gap
from lipglance.inference.render.shape import ShapeWarp
from lipglance.io.image import read_image
from lipglance.samples import sample_photos

LUMA = np.array([0.299, 0.587, 0.114])


@pytest.fixture(scope="module")
def warps(model) -> dict[str, ShapeWarp]:  # type: ignore[no-untyped-def]
    out = {}
    for path in sample_photos():
        warp = model.prepare_warp(read_image(str(path)), 0, ShapeWarp)
        assert isinstance(warp, ShapeWarp)
        out[path.stem] = warp
    return out


def opening(warp: ShapeWarp, frame: np.ndarray, opening: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(luma [H, W] of `frame`, per-column upper and lower inner lip rows of the target mouth) in image pixels."""
    from lipglance.shape import opening_shape

    target = warp.target(opening_shape(opening))
    xs = np.arange(frame.shape[1], dtype=np.float64)
    upper, lower, _ = mouth_gap(target, xs)
    return frame.astype(np.float64) @ LUMA, upper, lower


def middle(warp: ShapeWarp, share: float = 0.5) -> np.ndarray:
    """Image columns of the middle `share` of the mouth, between its corners."""
    left, right = warp.points[0, 0], warp.points[6, 0]
    c, half = (left + right) / 2, share * (right - left) / 2
    return np.arange(int(np.ceil(c - half)), int(c + half) + 1)


def test_drawn_teeth_are_bright_with_gaps_and_a_dark_cavity_below(warps: dict[str, ShapeWarp]) -> None:
    warp = warps["grace_hopper"]  # a closed mouth: no teeth of its own
    assert not warp.look.own.any()
    frame = warp.frame(0.3)
    luma, upper, lower = opening(warp, frame, 0.3)
    cols = middle(warp)
    teeth = np.array([np.interp(upper[x] + 2.5, np.arange(len(luma)), luma[:, x]) for x in cols])
    depth = np.array([luma[int((upper[x] + lower[x]) / 2), x] for x in cols])
    skin = float(warp.look.lip @ LUMA)
    assert np.median(teeth) > 1.05 * skin, (np.median(teeth), skin)  # teeth brighter than the lips
    assert np.median(depth) < 0.5 * np.median(teeth)  # the cavity dark behind them
    assert np.median(depth) > 15  # ... but not black: the lips' colour in the shade
    # Separate teeth: the row just below the lip dips between two teeth, several times across the mouth.
    low = (teeth[1:-1] <= teeth[:-2]) & (teeth[1:-1] <= teeth[2:])
    dips = sum(teeth[k + 1] < teeth[max(k - 2, 0):k + 5].max() - 10 for k in np.flatnonzero(low))
    assert dips >= 3, teeth.round()


def test_drawn_teeth_take_the_photos_light(warps: dict[str, ShapeWarp]) -> None:
    hopper, astronaut = warps["grace_hopper"], warps["astronaut"]
    drawn = MouthLook.read(hopper.region, hopper.points - hopper.roi[:2]).teeth
    assert drawn[0] > drawn[2] + 15  # Grace Hopper's warm light tints the teeth
    assert np.all(np.abs(astronaut.look.teeth - np.median(astronaut.image[
        int(astronaut.points[14, 1]) + 1, middle(astronaut, 0.3)], axis=0)) < 40)  # the astronaut's own teeth


def test_a_grin_opens_without_a_dark_bar_between_its_teeth(warps: dict[str, ShapeWarp]) -> None:
    warp = warps["astronaut"]
    assert warp.look.own[middle(warp) - warp.roi[0]].min() > 2  # the photo shows its upper teeth
    teeth = float(warp.look.teeth @ LUMA)
    for amount in (0.06, 0.1):
        frame = warp.frame(amount)
        luma, upper, lower = opening(warp, frame, amount)
        for x in middle(warp, 0.4):
            inside = luma[int(np.ceil(upper[x])) + 1:int(lower[x]), x]
            assert inside.size == 0 or inside.min() > 0.55 * teeth, (amount, x, inside.round())


def test_the_inside_does_not_flicker(warps: dict[str, ShapeWarp]) -> None:
    for warp in warps.values():
        for amount in (0.12, 0.3):
            a, b = warp.frame(amount), warp.frame(amount)
            assert np.array_equal(a, b)  # a constant shape: the same pixels
            near = warp.frame(amount + 0.002)
            x0, y0, x1, y1 = warp.roi
            change = np.abs(near[y0:y1, x0:x1].astype(int) - a[y0:y1, x0:x1].astype(int))
            assert change.mean() < 1.0 and np.percentile(change, 99) < 40, (change.mean(), change.max())


def test_a_grin_closes_without_its_teeth_on_the_lips(warps: dict[str, ShapeWarp]) -> None:
    warp = warps["astronaut"]
    xs = np.arange(warp.image.shape[1], dtype=np.float64)
    lip_sat = float(np.ptp(warp.look.lip) / warp.look.lip.max())

    def whites(image: np.ndarray, edge: np.ndarray, rows: range) -> float:
        """Share of teeth-white pixels in `rows` (offsets) about a lip edge `edge` [W], mid-mouth."""
        rgb = image.astype(np.float64)
        sat = (rgb.max(-1) - rgb.min(-1)) / np.maximum(rgb.max(-1), 1)
        white = (sat < 0.45 * lip_sat) & (rgb @ LUMA > 1.1 * warp.look.lip @ LUMA)
        return float(np.mean([white[int(np.round(edge[x])) + k, x] for x in middle(warp, 0.6) for k in rows]))

    seam = mouth_gap(warp.target(np.zeros((20, 2))), xs)[0]
    closed = whites(warp.frame(0.0), seam, range(-2, 4))
    upper, lower, _ = mouth_gap(warp.points, xs)
    lips = (3 * whites(warp.image, upper, range(-3, 0)) + 3 * whites(warp.image, lower, range(1, 4))) / 6
    assert closed <= lips + 0.05, (closed, lips)  # the lips as the photo shows them, no teeth between
