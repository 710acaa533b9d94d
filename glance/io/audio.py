"""Decode any audio (or a video's audio track) with PyAV to mono float32 at a given rate."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np


class AudioReadError(ValueError):
    """An audio file that cannot be decoded into samples."""


def load_audio(path: str | Path, sample_rate: int) -> np.ndarray:
    """Mono float32 samples in [-1, 1] at `sample_rate` from wav/mp3/flac/ogg/m4a or a video file."""
    path = Path(path)
    if not path.is_file():
        raise AudioReadError(f"{path}: no such file")
    chunks: list[np.ndarray] = []
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise AudioReadError(f"{path}: has no audio stream")
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except av.error.FFmpegError as e:
        raise AudioReadError(f"{path}: not a readable audio file ({e.strerror or e})") from None
    if not chunks:
        raise AudioReadError(f"{path}: holds no audio samples")
    return np.clip(np.concatenate(chunks).astype(np.float32), -1.0, 1.0)
