"""Decode any audio (or a video's audio track) with PyAV to mono float32 at a given rate."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np


class AudioReadError(ValueError):
    """An audio file that cannot be decoded into samples."""


def decode_audio(path: str | Path, sample_rate: int) -> tuple[np.ndarray, float]:
    """(mono float32 samples at `sample_rate`, start time in seconds of the first audio frame)."""
    path = Path(path)
    if not path.is_file():
        raise AudioReadError(f"{path}: no such file")
    chunks: list[np.ndarray] = []
    first: float | None = None
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise AudioReadError(f"{path}: has no audio stream")
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
            for frame in container.decode(stream):
                if first is None:
                    first = float(frame.time) if frame.time is not None else 0.0
                for piece in resampler.resample(frame):
                    chunks.append(piece.to_ndarray().reshape(-1))
            for piece in resampler.resample(None):
                chunks.append(piece.to_ndarray().reshape(-1))
    except av.error.FFmpegError as e:
        raise AudioReadError(f"{path}: not a readable audio file ({e.strerror or e})") from None
    if not chunks or first is None:
        raise AudioReadError(f"{path}: holds no audio samples")
    return np.concatenate(chunks).astype(np.float32), first


def load_audio(path: str | Path, sample_rate: int) -> np.ndarray:
    """Mono float32 samples in [-1, 1] at `sample_rate` from wav/mp3/flac/ogg/m4a or a video file."""
    return np.clip(decode_audio(path, sample_rate)[0], -1.0, 1.0)
