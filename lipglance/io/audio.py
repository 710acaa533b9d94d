"""Decode any audio (or a video's audio track) with PyAV to mono float32 at a given rate.

Limits are checked from the header BEFORE decoding, and again while decoding (a header may lie):
a source rate in MIN_RATE..MAX_RATE Hz, at most MAX_CHANNELS channels and MAX_SECONDS of sound.
A stream whose rate or channel layout changes mid-file (two files joined with `cat`) is decoded
piece by piece, each piece resampled to the target rate; a few undecodable packets (the seam) are
skipped, a file with many is refused. NaN or infinite samples are refused.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np

MIN_RATE = 4000  # Hz: below this no speech survives (and resampling up would blow memory)
MAX_RATE = 384000  # Hz
MAX_CHANNELS = 64
MAX_SECONDS = 3600.0  # one hour of sound


class AudioReadError(ValueError):
    """An audio file that cannot be decoded into samples."""


def _shown(path: Path) -> str:
    return os.fsdecode(path).encode("utf-8", "backslashreplace").decode("utf-8")


def _check_format(shown: str, rate: int, channels: int) -> None:
    if not MIN_RATE <= rate <= MAX_RATE:
        raise AudioReadError(f"{shown}: sample rate {rate} Hz is outside {MIN_RATE}..{MAX_RATE} Hz")
    if not 1 <= channels <= MAX_CHANNELS:
        raise AudioReadError(f"{shown}: {channels} audio channels (at most {MAX_CHANNELS})")


@contextlib.contextmanager
def open_audio(path: Path) -> Iterator[tuple[av.container.InputContainer, av.AudioStream]]:
    """The container and its first audio stream, which has a decoder; AudioReadError otherwise (FFmpeg's and
    the OS's own errors stay as they are). Opened through a file object: any file name works."""
    shown = _shown(path)
    if path.is_file() and path.stat().st_size == 0:  # FFmpeg would seek before its start, and PyAV print that
        raise AudioReadError(f"{shown}: the file is empty")
    with path.open("rb") as f, av.open(f, mode="r") as container:
        if not container.streams.audio:
            raise AudioReadError(f"{shown}: has no audio stream")
        stream = container.streams.audio[0]
        if stream.codec_context is None:  # a format tag no decoder knows (WAV tag 0xFFFF, garbage sub-format)
            raise AudioReadError(f"{shown}: not a readable audio file (no decoder for its audio format)")
        yield container, stream


def decode_audio(path: str | Path, sample_rate: int) -> tuple[np.ndarray, float]:
    """(mono float32 samples at `sample_rate`, start time in seconds of the first audio frame)."""
    path = Path(path)
    shown = _shown(path)
    if not path.is_file():
        raise AudioReadError(f"{shown}: no such file")
    chunks: list[np.ndarray] = []
    first: float | None = None
    limit = int(MAX_SECONDS * sample_rate) + sample_rate  # one second of slack for codec padding
    total = 0
    try:
        with open_audio(path) as (container, stream):
            _check_format(shown, int(stream.codec_context.sample_rate or 0),
                          int(stream.codec_context.channels or 1))
            duration = _header_seconds(container, stream)
            if duration is not None and duration > MAX_SECONDS:
                raise AudioReadError(f"{shown}: {duration:.0f} s of audio is over glance's limit of "
                                     f"{MAX_SECONDS:.0f} s: cut it into parts")
            resampler: av.AudioResampler | None = None
            setup: tuple[int, str, str] | None = None
            for frame in _frames(container, stream, shown):
                if first is None:
                    first = float(frame.time) if frame.time is not None else 0.0
                now = (frame.sample_rate, frame.layout.name, frame.format.name)
                if now != setup:  # the stream changed rate, layout or format mid-file: a new resampler
                    _check_format(shown, frame.sample_rate, len(frame.layout.channels))
                    if resampler is not None:
                        chunks.extend(p.to_ndarray().reshape(-1) for p in resampler.resample(None))
                    resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
                    setup = now
                assert resampler is not None
                for piece in resampler.resample(frame):
                    chunks.append(piece.to_ndarray().reshape(-1))
                    total += piece.samples
                if total > limit:
                    raise AudioReadError(f"{shown}: more than {MAX_SECONDS:.0f} s of audio, glance's limit: "
                                         "cut it into parts")
            if resampler is not None:
                chunks.extend(p.to_ndarray().reshape(-1) for p in resampler.resample(None))
    except av.error.FFmpegError as e:
        raise AudioReadError(f"{shown}: not a readable audio file ({e.strerror or e})") from None
    except (OSError, ValueError, UnicodeError, MemoryError) as e:
        if isinstance(e, AudioReadError):
            raise
        raise AudioReadError(f"{shown}: not a readable audio file ({type(e).__name__})") from None
    if not chunks or first is None:
        raise AudioReadError(f"{shown}: holds no audio samples")
    audio = np.concatenate(chunks).astype(np.float32)
    if not np.isfinite(audio).all():
        raise AudioReadError(f"{shown}: holds NaN or infinite samples")
    return audio, first


MAX_BAD_SHARE = 0.1  # of packets: above this share of undecodable packets the file is refused


def _frames(container: av.container.InputContainer, stream: av.AudioStream, shown: str) -> Iterator[av.AudioFrame]:
    """The stream's decoded frames, skipping packets the decoder refuses (as the ffmpeg tool does).

    Two mp3 files at different rates joined with `cat` hold one such packet at the seam (the second
    file's header frame); a file with more than MAX_BAD_SHARE of its packets undecodable is refused."""
    packets = bad = 0
    error: av.error.FFmpegError | None = None
    for packet in container.demux(stream):
        packets += packet.size > 0
        try:
            frames = packet.decode()
        except av.error.FFmpegError as e:
            bad, error = bad + 1, e
            continue
        yield from frames
    if error is not None and bad > MAX_BAD_SHARE * max(packets, 1):
        raise AudioReadError(f"{shown}: not a readable audio file ({bad} of {packets} packets undecodable: "
                             f"{error.strerror or error})")


def _header_seconds(container: av.container.InputContainer, stream: av.AudioStream) -> float | None:
    """The duration the header states (stream, else container), if any."""
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def resample(audio: np.ndarray, rate: int, new_rate: int) -> np.ndarray:
    """Mono float32 samples from `rate` to `new_rate` with FFmpeg's resampler (as decoding a file does)."""
    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(audio[None, :], np.float32), format="flt",
                                       layout="mono")
    frame.sample_rate = rate
    resampler = av.AudioResampler(format="flt", layout="mono", rate=new_rate)
    pieces = [p.to_ndarray().reshape(-1) for p in resampler.resample(frame)]
    pieces += [p.to_ndarray().reshape(-1) for p in resampler.resample(None)]
    return np.concatenate(pieces).astype(np.float32) if pieces else np.zeros(0, np.float32)


def load_audio(path: str | Path, sample_rate: int) -> np.ndarray:
    """Mono float32 samples in [-1, 1] at `sample_rate` from wav/mp3/flac/ogg/m4a or a video file."""
    return np.clip(decode_audio(path, sample_rate)[0], -1.0, 1.0)


MAX_PEAK = 8.0  # float samples beyond this are not audio in [-1, 1] (unscaled integers, garbage)


def plain(x: float) -> str:
    """A number as a person writes it: 32767, 1.5, -0.25 (no exponent, at most two decimals)."""
    text = f"{x:,.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def check_samples(audio: object, sample_rate: int) -> np.ndarray:
    """Mono float32 samples in [-1, 1] from what a caller of the Python API passes, or a one-line UserError.

    int16/int32 samples are scaled by their full range, uint8 (8-bit WAV) by 128 around 128; floats
    must be finite and lie in [-1, 1] (peaks up to MAX_PEAK are clipped, beyond that refused)."""
    from lipglance.errors import UserError

    a = np.asarray(audio)
    if a.ndim != 1:
        raise UserError(f"audio must be mono samples [N], got shape {list(a.shape)}: mix channels with "
                        "audio.mean(axis=...) first")
    if a.size == 0:
        raise UserError("audio is empty: give at least one video frame (40 ms) of samples")
    if a.dtype == np.int16:
        return (a.astype(np.float32) / 32768.0).astype(np.float32)
    if a.dtype == np.int32:
        return (a.astype(np.float64) / 2147483648.0).astype(np.float32)
    if a.dtype == np.uint8:
        return ((a.astype(np.float32) - 128.0) / 128.0).astype(np.float32)
    if a.dtype.kind != "f":
        raise UserError(f"audio samples of dtype {a.dtype}: give int16, int32, uint8 or float samples in [-1, 1] "
                        "(e.g. audio.astype(np.int16) for 16-bit values)")
    if not np.isfinite(a).all():
        raise UserError("audio holds NaN or infinite samples")
    peak = float(np.abs(a).max())
    if peak > MAX_PEAK:
        raise UserError(f"float audio must lie in [-1, 1], but this peaks at {plain(peak)}: 16-bit values as "
                        "floats? pass them as int16, or divide by 32768")
    return np.clip(a, -1.0, 1.0).astype(np.float32, copy=False)
