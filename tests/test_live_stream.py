"""lipglance.inference.live.stream: audio chunks in -> one shape/frame per 40 ms out, `lookahead` frames late,
fixed memory."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from lipglance import stream_live
from lipglance.errors import UserError
from lipglance.inference.live.stream import LiveShapes, RunningLevel, lookahead_ms
from lipglance.inference.model.lipsync import LipSync

SPF = 640  # samples per frame at 16 kHz, 25 fps


@pytest.fixture(autouse=True, scope="module")
def one_thread() -> Iterator[None]:
    """As `lipglance live` runs: a window is too small to share between threads (on 2 busy cores 2 threads are ~30x
    slower than 1)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _opening(shapes: np.ndarray) -> np.ndarray:
    return shapes[:, 18, 1] - shapes[:, 14, 1]


def _live(model: LipSync, audio: np.ndarray, chunk: int, lookahead: int = 4) -> np.ndarray:
    live = LiveShapes(model, lookahead)
    out = [s for i in range(0, len(audio), chunk) for s in live.push(audio[i:i + chunk])]
    return np.stack(out + live.flush())


def test_lookahead_in_ms() -> None:
    assert lookahead_ms(4) == 160.0 and lookahead_ms(0) == 0.0 and lookahead_ms(2, fps=50) == 40.0


def test_close_to_the_offline_path_and_closer_with_more_lookahead(model: LipSync, speech: np.ndarray) -> None:
    gate = dataclasses.replace(model, track=False)  # live decides closures with the gate, not the seal track
    offline = _opening(np.stack(list(gate.stream_shapes(speech))))
    errors = {k: np.abs(_opening(_live(model, speech, SPF, k)) - offline).mean() for k in (0, 4)}
    assert errors[4] < 0.01, errors  # rest mouth widths; the mouth opens up to ~0.3
    assert errors[0] > 2 * errors[4], errors
    assert np.corrcoef(_opening(_live(model, speech, SPF, 4)), offline)[0, 1] > 0.95


def test_chunk_sizes_do_not_matter(model: LipSync, speech: np.ndarray) -> None:
    whole = _live(model, speech, len(speech))
    for chunk in (97, SPF, 5000):
        np.testing.assert_array_equal(_live(model, speech, chunk), whole)


def test_frame_t_comes_out_once_frame_t_plus_lookahead_is_in(model: LipSync, speech: np.ndarray) -> None:
    for lookahead in (0, 2, 4):
        live = LiveShapes(model, lookahead)
        for k in range(1, 12):
            got = live.push(speech[(k - 1) * SPF:k * SPF - 1])  # all but the frame's last sample: nothing new
            before = live.frames_out
            got = live.push(speech[k * SPF - 1:k * SPF])
            assert live.frames_out == max(0, k - lookahead) and len(got) == live.frames_out - before


@pytest.mark.parametrize("n", [1, SPF - 1, SPF, SPF + 1, 7 * SPF + 5])
def test_a_whole_recording_gives_frame_count_frames(model: LipSync, n: int) -> None:
    live = LiveShapes(model)
    audio = np.random.default_rng(n).normal(0, 0.1, n).astype(np.float32)
    shapes = live.push(audio) + live.flush()
    assert len(shapes) == model.frame_count(n)
    assert live.flush() == [] and live.push(np.zeros(0, np.float32)) == []


def test_buffers_stay_bounded_over_a_long_stream(model: LipSync, speech: np.ndarray) -> None:
    live = LiveShapes(model)
    ring, rng = live.ring.shape, np.random.default_rng(0)
    sizes = []
    frames = 0
    for minute in range(2):  # 2 minutes of speech in uneven chunks
        audio = np.tile(speech, 19)[:60 * 16000] * (0.2 + 0.3 * minute)
        at = 0
        while at < len(audio):
            step = int(rng.integers(1, 3000))
            frames += len(live.push(audio[at:at + step]))
            at += step
            sizes.append((live.ring.shape, len(live.rest), len(live.level.levels) if live.level else 0,
                          len(live.level.rest) if live.level else 0))
    assert frames == 2 * 60 * 25 - live.lookahead
    assert {s[0] for s in sizes} == {ring}
    assert max(s[1] for s in sizes) < SPF
    assert max(s[2] for s in sizes) == 1500  # 30 s of 20 ms levels, reached and never passed
    assert max(s[3] for s in sizes) < 320


def test_running_level_makes_quiet_speech_move_like_loud(model: LipSync, speech: np.ndarray) -> None:
    loud, quiet = _live(model, speech, SPF), _live(model, speech * 0.05, SPF)
    difference = np.abs(_opening(loud) - _opening(quiet))
    assert difference[5:].max() < 0.005, difference  # once it has heard 0.2 s (the first frames are near silence)
    assert difference.mean() < 0.002
    level = RunningLevel(16000)
    assert level.push(np.zeros(16000, np.float32)) == 1.0  # silence: unchanged
    assert level.push(speech * 0.05) > 5.0


def test_silence_keeps_the_mouth_closed(model: LipSync, speech: np.ndarray) -> None:
    from lipglance.shape import CLOSED

    opening = _opening(_live(model, np.zeros(3 * 16000, np.float32), SPF))
    assert (opening < CLOSED).all()
    assert _opening(_live(model, speech, SPF)).max() > 0.1


def test_stream_live_renders_the_photo(model: LipSync, speech: np.ndarray, astronaut_png: Path) -> None:
    chunks = (speech[i:i + 1000] for i in range(0, 16000, 1000))
    frames = list(stream_live(model, chunks, astronaut_png, still=True))
    assert len(frames) == 25 and frames[0].shape == (512, 512, 3) and frames[0].dtype == np.uint8
    assert np.abs(frames[10].astype(int) - frames[0]).max() > 50  # the mouth moved


def test_bad_input_is_a_user_error(model: LipSync, astronaut_png: Path) -> None:
    with pytest.raises(UserError, match="lookahead"):
        LiveShapes(model, 16)
    with pytest.raises(UserError, match="mono"):
        LiveShapes(model).push(np.zeros((100, 2), np.float32))
    with pytest.raises(UserError, match="shape head"):
        next(stream_live(LipSync.untrained(), [np.zeros(640, np.float32)], astronaut_png))
