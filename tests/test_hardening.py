"""Issue 19's first layers, called directly: the check that refuses (or repairs) a bad input where it first arrives.

The fuzz suite (tests/test_fuzz.py) checks the whole command; a second layer there (a catch-all in the
CLI, a later check) could hide a first layer that stopped working. These tests would not.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fuzz_corpus import encoded_audio, float_wav, jpeg_with_size, pcm_wav_header, png_with_header

from lipglance.io.audio import AudioReadError, decode_audio
from lipglance.io.image import MAX_PIXELS, MAX_SIDE, ImageReadError, check_image_size, decode_image


def _joined(tmp_path: Path, fmt: str, codec: str, rates: tuple[int, ...], seconds: float) -> Path:
    parts = []
    for i, rate in enumerate(rates):
        q = tmp_path / f"part{i}"
        encoded_audio(q, fmt, codec, rate, seconds, "stereo" if i % 2 else "mono")
        parts.append(q.read_bytes())
    out = tmp_path / f"joined.{fmt}"
    out.write_bytes(b"".join(parts))
    return out


@pytest.mark.parametrize("fmt,codec,rates", [("mp3", "libmp3lame", (22050, 48000)),
                                             ("mp3", "libmp3lame", (44100, 16000)), ("adts", "aac", (16000, 44100))])
def test_two_files_joined_with_cat_decode_whole(tmp_path: Path, fmt: str, codec: str,
                                                rates: tuple[int, int]) -> None:
    """Both halves come out (0.6 s each, at the target rate), the seam's bad packet skipped."""
    audio, _ = decode_audio(_joined(tmp_path, fmt, codec, rates, 0.6), 16000)
    assert 1.15 <= len(audio) / 16000 <= 1.35, len(audio) / 16000
    assert np.abs(audio[:4000]).max() > 0.1 and np.abs(audio[-6000:-2000]).max() > 0.1


def test_many_seams_are_refused(tmp_path: Path) -> None:
    with pytest.raises(AudioReadError, match="packets undecodable"):
        decode_audio(_joined(tmp_path, "mp3", "libmp3lame", (22050, 48000) * 10, 0.05), 16000)


@pytest.mark.parametrize("rate", [1, 100, 3999, 400000])
def test_audio_rate_out_of_range_refused_from_the_header(tmp_path: Path, rate: int) -> None:
    data = bytes(2 * 16000)
    (tmp_path / "a.wav").write_bytes(pcm_wav_header(rate, len(data)) + data)
    with pytest.raises(AudioReadError, match="sample rate"):
        decode_audio(tmp_path / "a.wav", 16000)



def test_audio_rate_out_of_range_refused_mid_stream(tmp_path: Path) -> None:
    """A 16 kHz flac followed by a 100 Hz one: the header is fine, the frame check refuses the second part."""
    path = _joined(tmp_path, "flac", "flac", (16000, 100), 0.6)
    with pytest.raises(AudioReadError, match="sample rate 100 Hz"):
        decode_audio(path, 16000)

def test_audio_channels_over_the_limit_refused(tmp_path: Path) -> None:
    (tmp_path / "a.wav").write_bytes(pcm_wav_header(16000, 16000, channels=200) + bytes(16000))
    with pytest.raises(AudioReadError, match="channels"):
        decode_audio(tmp_path / "a.wav", 16000)


def test_nan_audio_refused_by_the_decoder(tmp_path: Path) -> None:
    x = np.zeros(8000)
    x[100] = np.nan
    float_wav(tmp_path / "a.wav", x)
    with pytest.raises(AudioReadError, match="NaN"):
        decode_audio(tmp_path / "a.wav", 16000)


@pytest.mark.parametrize("size", [(MAX_SIDE + 1, 16), (16, MAX_SIDE + 1), (8000, 8000), (0, 5), (5, 0)])
def test_check_image_size_refuses(size: tuple[int, int]) -> None:
    assert size[0] * size[1] > MAX_PIXELS or max(size) > MAX_SIDE or min(size) <= 0
    with pytest.raises(ImageReadError):
        check_image_size(*size)


def test_check_image_size_accepts_the_limit() -> None:
    check_image_size(MAX_SIDE, MAX_PIXELS // MAX_SIDE)
    check_image_size(1, 1)


@pytest.mark.parametrize("data", [png_with_header(20000, 20000), png_with_header(60000, 1),
                                  jpeg_with_size(20000, 20000), jpeg_with_size(65000, 2)],
                         ids=["png_20000", "png_60000x1", "jpeg_20000", "jpeg_65000x2"])
def test_huge_headers_refused_with_the_limit_message(data: bytes) -> None:
    """The header check itself answers (its message names the limit), not a decoder failing later."""
    with pytest.raises(ImageReadError, match="over glance's limit"):
        decode_image(data, "x")


def test_audio_rate_refused_from_the_header_alone(tmp_path: Path) -> None:
    """A header that says 1 Hz over no samples at all: only the header check can name the rate."""
    (tmp_path / "a.wav").write_bytes(pcm_wav_header(1, 0))
    with pytest.raises(AudioReadError, match="sample rate 1 Hz"):
        decode_audio(tmp_path / "a.wav", 16000)


def test_audio_duration_limit_from_the_header(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from fuzz_corpus import write_wav

    import lipglance.io.audio

    write_wav(tmp_path / "a.wav", np.zeros(9600), 16000)  # 0.6 s
    monkeypatch.setattr(lipglance.io.audio, "MAX_SECONDS", 0.3)
    with pytest.raises(AudioReadError, match="over glance's limit of 0 s"):
        decode_audio(tmp_path / "a.wav", 16000)


def test_audio_duration_limit_while_decoding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Four flac files joined: the first one's header says 0.6 s, 2.4 s decode; the running count (with its
    second of slack for codec padding) refuses."""
    import lipglance.io.audio

    path = _joined(tmp_path, "flac", "flac", (16000,) * 4, 0.6)
    assert 2.3 < len(decode_audio(path, 16000)[0]) / 16000 < 2.5
    monkeypatch.setattr(lipglance.io.audio, "MAX_SECONDS", 0.7)
    with pytest.raises(AudioReadError, match="more than 1 s of audio"):
        decode_audio(path, 16000)


def test_pil_warnings_never_reach_stderr() -> None:
    """A 100-megapixel header makes PIL warn (DecompressionBombWarning) before glance refuses it."""
    import warnings

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with pytest.raises(ImageReadError, match="over glance's limit"):
            decode_image(png_with_header(10000, 10000), "x")
    assert [str(w.message) for w in seen] == []


def test_write_mp4_refuses_nan_audio_before_writing(tmp_path: Path) -> None:
    from lipglance.io.video import write_mp4

    audio = np.zeros(1280, np.float32)
    audio[5] = np.nan
    with pytest.raises(ValueError, match="finite"):
        write_mp4(tmp_path / "o.mp4", [np.zeros((16, 16, 3), np.uint8)] * 2, 25, audio, 16000)
    assert not (tmp_path / "o.mp4").exists()


def test_stats_rows_past_the_resumed_step_are_dropped(tmp_path: Path) -> None:
    """A run killed after logging step 9 and resumed from its step-6 checkpoint redoes 7..9: one row each."""
    from lipglance.train.logging import keep_rows_upto

    log = tmp_path / "stats.jsonl"
    log.write_text("".join(f'{{"step": {i}, "loss": 1.0}}\n' for i in range(1, 10)) + '{"step": 10, "lo')
    keep_rows_upto(log, 6)
    assert [int(line.split(":")[1].split(",")[0]) for line in log.read_text().splitlines()] == list(range(1, 7))


def test_absurdly_large_network_refused_before_it_is_built() -> None:
    from torch import nn

    from lipglance.checkpoint import CheckpointError, meta_module

    with pytest.raises(CheckpointError, match="parameters: not a glance model"):
        meta_module(lambda: nn.Linear(50_000, 50_000), "w.safetensors", "generator")


@pytest.mark.parametrize("frames", [[np.zeros((16, 16), np.uint8)], [np.zeros((16, 16, 3), np.float64)],
                                    [np.zeros((16, 16, 3), np.uint8)] * 3 + [np.zeros((18, 16, 3), np.uint8)]],
                         ids=["grey", "float", "size_changes_at_frame_4"])
def test_save_leaves_no_half_written_video(tmp_path: Path, frames: list[np.ndarray]) -> None:
    from lipglance.errors import UserError
    from lipglance.inference.model.lipsync import LipSync

    with pytest.raises(UserError, match="frames must"):  # the API's one error type for bad input
        LipSync.save(tmp_path / "o.mp4", frames, np.zeros(4 * 640, np.float32), 16000)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where, message", [
    (["-o", "{d}/o.mp4", "--frames", "{d}/frames"], "--frames {d}/frames: exists and is not a folder"),
    (["-o", "{d}/folder.mp4"], "{d}/folder.mp4: is a directory"),
    (["-o", "{d}/o.avi"], "{d}/o.avi: the output must be a"),
])
def test_outputs_refused_before_any_file_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                where: list[str], message: str) -> None:
    """Missing audio and image: the output checks answer first, so they run before the work."""
    from lipglance.cli import main

    (tmp_path / "frames").write_bytes(b"x")
    (tmp_path / "folder.mp4").mkdir()
    missing = str(tmp_path / "missing")
    argv = ["generate", "--audio", missing, "--image", missing, *(w.format(d=tmp_path) for w in where)]
    assert main(argv) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("lipglance generate: error: " + message.format(d=tmp_path)), err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.mp4", "frames"]


def test_face_index_refused_before_any_file_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The CLI's own check answers first (the API's would only after the image, model and audio are loaded)."""
    from lipglance.cli import main

    missing = str(tmp_path / "missing")
    assert main(["generate", "--audio", missing, "--image", missing, "-o", str(tmp_path / "o.mp4"),
                 "--face-index", "-1"]) == 2
    assert capsys.readouterr().err.splitlines() == ["lipglance generate: error: --face-index -1: faces count from 0 "
                                                    "(the largest)"]


def test_save_with_a_bad_first_frame_keeps_an_existing_file(tmp_path: Path) -> None:
    """The first frame is checked before the file is opened, so a video already there is not truncated."""
    from lipglance.errors import UserError
    from lipglance.inference.model.lipsync import LipSync

    (tmp_path / "o.mp4").write_bytes(b"an older video")
    with pytest.raises(UserError, match="frames must"):
        LipSync.save(tmp_path / "o.mp4", [np.zeros((16, 16), np.uint8)], np.zeros(640, np.float32), 16000)
    assert (tmp_path / "o.mp4").read_bytes() == b"an older video"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_inside_the_video_writers_callback_stops_the_run(tmp_path: Path, signum: int,
                                                                  capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A signal whose handler runs inside PyAV's write callback (Python code called from C, which swallows what it
    raises) still stops the run: one line, exit 128 + the signal, nothing written. The fuzz case sigint_long_run
    met this by chance under load (the run carried on and exited 0)."""
    from fuzz_corpus import RATE, _speech, make_assets, write_wav

    from lipglance.cli import main
    from lipglance.io import video

    make_assets(tmp_path)
    write_wav(tmp_path / "long.wav", np.tile(_speech(1.0), 8), RATE)
    writes = {"n": 0}

    class Signalling:
        """The sink's file: its fifth write sends the signal, whose handler runs at the next bytecode, inside
        the sink's write, inside PyAV's callback."""

        def __init__(self, f: Any) -> None:
            self.f = f

        def write(self, data: bytes) -> int:
            writes["n"] += 1
            if writes["n"] == 5:
                os.kill(os.getpid(), signum)
            return int(self.f.write(data))

        def __getattr__(self, name: str) -> Any:
            return getattr(self.f, name)

    real_init = video._Sink.__init__
    monkeypatch.setattr(video._Sink, "__init__", lambda self, f: real_init(self, Signalling(f)))
    before = set(tmp_path.iterdir())
    code = main(["generate", "--audio", str(tmp_path / "long.wav"), "--image", str(tmp_path / "lips.png"), "-o",
                 str(tmp_path / "out.mp4")])
    err = capsys.readouterr().err
    assert writes["n"] >= 5 and code == 128 + signum, (code, err)
    said = f"lipglance generate: {'interrupted' if signum == signal.SIGINT else 'terminated'}"
    assert "Traceback" not in err and err.count("lipglance") == 1 and err.strip().endswith(said), err
    assert set(tmp_path.iterdir()) == before
