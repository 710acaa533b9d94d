"""Speech levels, frame by frame: the 20 ms RMS levels that loudness normalisation (lipglance.inference.speech.loudness)
and pause finding (lipglance.synth.pauses) both read, and the 10 ms ones of an aligned recording's quiet edges
(lipglance.synth.tts.quiet_edges)."""

from __future__ import annotations

import numpy as np

FRAME_SECONDS = 0.02


def frame_levels(audio: np.ndarray, sample_rate: int, seconds: float = FRAME_SECONDS) -> np.ndarray:
    """RMS level in dBFS of each whole frame of `seconds` (20 ms) of mono samples (one frame for shorter audio).
    Computed in blocks, so an hour of audio takes no float64 copy of itself."""
    n = max(1, int(round(seconds * sample_rate)))
    x = np.asarray(audio)
    if len(x) < n:
        frames = x[None, :] if len(x) else np.zeros((1, 1), np.float32)
    else:
        frames = x[: len(x) // n * n].reshape(-1, n)
    power = np.concatenate([np.mean(np.square(frames[i:i + 4096], dtype=np.float64), axis=1)
                            for i in range(0, len(frames), 4096)])
    return 10.0 * np.log10(np.maximum(power, 1e-20))
