"""The output keeps the input's soundtrack (rate, channels) while the model hears mono 16 kHz."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from lipglance.cli import main
from lipglance.io.audio import load_audio
from lipglance.io.soundtrack import AAC_RATES, aac_rate


def _write(path: Path, left: np.ndarray, right: np.ndarray | None, rate: int, codec: str, channels: int = 0) -> None:
    """Encode speech with PyAV: mono, stereo (left/right differ) or `channels` copies of it."""
    planes = [left] if right is None else [left, right]
    if channels:
        planes = [left * (0.9 ** k) for k in range(channels)]
    layout = {1: "mono", 2: "stereo", 6: "5.1"}[len(planes)]
    fmt = "s16p" if codec.startswith("pcm") or codec == "flac" else "fltp"
    with av.open(str(path), "w") as out:
        s = out.add_stream(codec, rate=rate)
        s.layout = layout
        data = np.stack(planes).astype(np.float32)
        for start in range(0, data.shape[1], 4096):
            chunk = data[:, start:start + 4096]
            if fmt == "s16p":
                chunk = (chunk * 32767).astype(np.int16)
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk), format=fmt, layout=layout)
            frame.sample_rate = rate
            for p in s.encode(frame):
                out.mux(p)
        for p in s.encode():
            out.mux(p)


def _soundtrack(path: Path) -> tuple[int, int, int, np.ndarray, float]:
    """(rate, channels, bit rate, samples [C, N], video seconds) of an mp4 as PyAV decodes it."""
    with av.open(str(path)) as c:
        a, v = c.streams.audio[0], c.streams.video[0]
        assert a.codec_context.name == "aac"
        rate, channels, bit_rate = a.codec_context.sample_rate, a.codec_context.channels, a.bit_rate
        video_s = float(v.frames / v.average_rate) if v.frames else 0.0
        samples = np.concatenate([f.to_ndarray().reshape(channels, -1) for f in c.decode(audio=0)], axis=1)
    return rate, channels, bit_rate, samples, video_s


@pytest.mark.parametrize("name, rate, codec, stereo, channels, want_rate, want_channels", [
    ("speech.wav", 48000, "pcm_s16le", True, 0, 48000, 2),
    ("speech.flac", 44100, "flac", False, 0, 44100, 1),
    ("speech.m4a", 22050, "aac", True, 0, 22050, 2),
    ("speech.wav", 7000, "pcm_s16le", False, 0, 8000, 1),  # a rate AAC lacks: the next one up
    ("speech.wav", 48000, "pcm_s16le", False, 6, 48000, 2),  # 5.1: stereo
])
def test_output_keeps_the_inputs_rate_and_channels(tmp_path: Path, sample_wav: Path, astronaut_png: Path,
                                                   name: str, rate: int, codec: str, stereo: bool, channels: int,
                                                   want_rate: int, want_channels: int) -> None:
    speech = load_audio(sample_wav, rate)
    src = tmp_path / name
    _write(src, speech, 0.5 * speech if stereo else None, rate, codec, channels)
    out = tmp_path / "out.mp4"
    assert main(["generate", "--audio", str(src), "--image", str(astronaut_png), "-o", str(out), "--lips-only"]) == 0
    got_rate, got_channels, bit_rate, samples, video_s = _soundtrack(out)
    assert (got_rate, got_channels) == (want_rate, want_channels)
    if want_rate >= 22050:  # 96 kbit/s a channel asked (the encoder spends less where the band is narrower)
        assert 64_000 * want_channels <= bit_rate <= 200_000 * want_channels, bit_rate
    assert abs(samples.shape[1] / got_rate - len(speech) / rate) < 0.1  # the whole sentence, in time
    assert abs(video_s - len(speech) / rate) < 0.1
    if stereo:  # the two channels stay apart: right is half of left
        gain = float(np.sqrt((samples[1] ** 2).mean() / (samples[0] ** 2).mean()))
        assert 0.45 < gain < 0.55, gain
    if want_rate >= 44100:  # content above the model's 8 kHz band survives: not resampled through 16 kHz
        tone = np.sin(2 * np.pi * 12000 * np.arange(len(speech)) / rate).astype(np.float32) * 0.1
        src2 = tmp_path / "tone.wav"
        _write(src2, speech * 0.5 + tone, None, rate, "pcm_s16le")
        assert main(["generate", "--audio", str(src2), "--image", str(astronaut_png), "-o", str(out),
                     "--lips-only"]) == 0
        mono = _soundtrack(out)[3].mean(axis=0)
        spectrum = np.abs(np.fft.rfft(mono))
        freqs = np.fft.rfftfreq(len(mono), 1 / got_rate)
        assert spectrum[(freqs > 11900) & (freqs < 12100)].max() > 100 * np.median(spectrum[freqs > 9000])


def test_aac_rates() -> None:
    assert [aac_rate(r) for r in (8000, 7000, 16000, 44100, 50000, 192000)] == [8000, 8000, 16000, 44100, 64000, 96000]
    assert all(aac_rate(r) == r for r in AAC_RATES)
