"""Issue 19's first layers, called directly: the check that refuses (or repairs) a bad input where it first arrives.

The fuzz suite (tests/test_fuzz.py) checks the whole command; a second layer there (a catch-all in the
CLI, a later check) could hide a first layer that stopped working. These tests would not.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fuzz_corpus import encoded_audio, float_wav, jpeg_with_size, pcm_wav_header, png_with_header

from glance.io.audio import AudioReadError, decode_audio
from glance.io.image import MAX_PIXELS, MAX_SIDE, ImageReadError, check_image_size, decode_image


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
