"""Dubbing reuses the speaker's own mouth (lipglance.inference.video.mouths): real videos of real photos, tracked by
dlib; the library stays bounded and the patch it picks does not flip between frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import skimage.data

from lipglance.inference.render.inside import KEEP, Donor, MouthLook, fill_inside
from lipglance.inference.video.dub import DubStats, dub_stream
from lipglance.inference.video.mouths import BINS, MIN_OPEN, MouthLibrary, opening_of
from lipglance.io.image import read_image
from lipglance.io.video import write_video
from lipglance.samples import sample_photos


def _still_video(path: Path, image: np.ndarray, frames: int = 20) -> Path:
    write_video(path, [np.ascontiguousarray(image)] * frames, 25, None, 16000, "mp4", crf=18)
    return path


def test_a_video_with_open_mouths_lends_them_and_a_closed_one_does_not(model, speech: np.ndarray,  # type: ignore[no-untyped-def]
                                                                       tmp_path: Path) -> None:
    grin = _still_video(tmp_path / "grin.mp4", skimage.data.astronaut()[:320, 80:400])  # her teeth show
    stats = DubStats()
    frames = list(dub_stream(model, speech, grin, stats=stats))
    assert len(frames) == stats.frames and stats.faceless == 0
    assert stats.reused > 0.1 * stats.frames, (stats.reused, stats.frames)
    hopper = read_image(str(next(p for p in sample_photos() if p.stem == "grace_hopper")))
    shut = _still_video(tmp_path / "shut.mp4", hopper[:512, :600])  # a closed mouth: nothing to lend
    stats = DubStats()
    list(dub_stream(model, speech, shut, stats=stats))
    assert stats.frames > 0 and stats.reused == 0


def _mouth(opening: float) -> np.ndarray:
    """Mouth points [20, 2] 100 px wide, the inner lips `opening` mouth widths apart in the middle."""
    t = np.linspace(0, np.pi, 7)
    outer_top = np.stack([50 - 50 * np.cos(t), 100 - 12 * np.sin(t)], 1)
    outer_bottom = np.stack([50 + 50 * np.cos(t[1:-1]), 100 + 12 * np.sin(t[1:-1]) + 100 * opening], 1)
    s = np.linspace(0, np.pi, 5)
    inner_top = np.stack([8 + 42 * (1 - np.cos(s)), 100 - 2 * np.sin(s)], 1)
    inner_bottom = np.stack([50 + 42 * np.cos(s[1:-1]), 100 - 2 * np.sin(s[1:-1]) + 100 * opening * np.sin(s[1:-1])], 1)
    return np.concatenate([outer_top, outer_bottom, inner_top, inner_bottom])


def test_the_library_is_bounded_and_picks_steadily() -> None:
    image = np.full((240, 200, 3), (170, 90, 90), np.uint8)  # lips, with a dark mouth inside them
    image[100:170, 12:88] = 40
    library = MouthLibrary()
    assert abs(opening_of(_mouth(0.2)) - 0.2) < 0.03
    for opening in np.random.default_rng(1).uniform(0, 0.8, 300):
        library.offer(image, _mouth(float(opening)))
    assert 0 < len(library.patches) <= BINS
    assert library.pick(_mouth(0.0)) is None  # a closed mouth: nothing to fill
    first = library.pick(_mouth(MIN_OPEN + 0.1))
    assert first is not None
    chosen = library.chosen
    for wobble in (0.012, -0.012, 0.01, -0.01):  # small changes of the target keep the patch
        again = library.pick(_mouth(MIN_OPEN + 0.1 + wobble))
        assert again is not None and library.chosen == chosen and np.array_equal(again.patch, first.patch)
    assert library.reused == 5


def test_a_donated_inside_keeps_its_upper_teeth_at_their_size() -> None:
    patch = np.full((24, 48, 3), 30, np.uint8)
    patch[:8] = 230  # the upper third: teeth against the upper lip
    h, w, top = 80, 60, 10.0
    for size, stretch in ((30.0, 1.0), (37.5, 1.25), (24.0, 0.8)):
        hole = np.zeros((h, w), np.float32)
        hole[int(top):int(top + size), 5:55] = 1
        upper, lower = np.full(w, top), np.full(w, top + size)
        pts = np.array([[5, 10], [55, 10], [5, 40], [55, 40]] * 5, np.float64)  # the box only sets the unit
        out = fill_inside(np.zeros((h, w, 3), np.uint8), np.zeros((h, w, 3), np.uint8), hole, pts, upper, lower,
                          look=MouthLook.given(Donor(patch, stretch), w))
        teeth = int((out[:, 30, 0] > 128).sum())
        assert abs(teeth - 30 * 8 / 24) <= 1.5, (size, stretch, teeth)  # 10 px of teeth however far it opens
        assert KEEP * 24 >= 8  # the teeth lie within the part kept at its size
