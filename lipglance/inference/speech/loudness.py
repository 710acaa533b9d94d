"""Speech level at inference: bring the input's active-speech level to the training corpus's before features.

The model learnt mouth motion from log-mel features of speech at one level: the synthetic corpus peak-normalises
every clip to 0.5..1.0 (lipglance/synth/clip.py), which puts its active speech at TRAINING_LEVEL_DBFS (measured
with `active_level` on the training voices by `scripts/corpus_level.py`; docs/LOUDNESS.md). Quieter speech looks
like less speech to it and opens the mouth less, so `normalize_level` scales the whole utterance by one gain
(no compression: the relative dynamics that drive the motion stay as they are). Training features and corpus
preprocessing are untouched; only inference applies this.

Active speech: 20 ms frames whose RMS lies above an absolute floor (SILENCE_DBFS), above the recording's noise
floor (its 10th-percentile frame) + ACTIVE_ABOVE_NOISE_DB and within ACTIVE_RANGE_DB of its loudest frames (99th
percentile); the level is the power mean of those frames.
Silence, digital or a steady room tone, has no such frames and is passed through unchanged, so it stays closed.
"""

from __future__ import annotations

import numpy as np

from lipglance.levels import frame_levels

TRAINING_LEVEL_DBFS = -17.4  # active-speech level of the training corpus: median of 204 clips (scripts/corpus_level.py)
SILENCE_DBFS = -70.0  # frames quieter than this are never speech
ACTIVE_ABOVE_NOISE_DB = 12.0  # speech frames stand this far above the recording's noise floor
ACTIVE_RANGE_DB = 30.0  # and at most this far below its loudest frames (so the level does not depend on the gain)
MAX_GAIN_DB = 40.0  # at most +40 dB (speech at -58 dBFS and quieter is only brought up this far)
MIN_GAIN_DB = -20.0


def active_level(audio: np.ndarray, sample_rate: int) -> float | None:
    """Active-speech level in dBFS (power mean of the speech frames), or None when nothing sounds like speech."""
    return level_of(frame_levels(audio, sample_rate))


def level_of(levels: np.ndarray) -> float | None:
    """Active-speech level in dBFS of 20 ms frame levels (`frame_levels`), or None when none is speech."""
    floor, top = (float(v) for v in np.percentile(levels, [10, 99]))
    active = levels[levels > max(SILENCE_DBFS, floor + ACTIVE_ABOVE_NOISE_DB, top - ACTIVE_RANGE_DB)]
    if len(active) == 0:
        return None
    return float(10.0 * np.log10(np.mean(10.0 ** (active / 10.0))))


def level_gain(audio: np.ndarray, sample_rate: int, target_dbfs: float = TRAINING_LEVEL_DBFS) -> float:
    """The linear gain that brings the active-speech level to `target_dbfs` (1.0 for silence)."""
    return gain_for(active_level(audio, sample_rate), target_dbfs)


def gain_for(level: float | None, target_dbfs: float = TRAINING_LEVEL_DBFS) -> float:
    """The linear gain from an active-speech level (`level_of`) to `target_dbfs`, bounded; 1.0 for None."""
    if level is None:
        return 1.0
    return float(10.0 ** (np.clip(target_dbfs - level, MIN_GAIN_DB, MAX_GAIN_DB) / 20.0))


def normalize_level(audio: np.ndarray, sample_rate: int, target_dbfs: float = TRAINING_LEVEL_DBFS) -> np.ndarray:
    """float32 samples scaled to the training corpus's active-speech level (peaks may exceed 1: the features
    are computed from the floats, never clipped)."""
    return (np.asarray(audio, np.float32) * np.float32(level_gain(audio, sample_rate, target_dbfs))).astype(
        np.float32, copy=False)
