"""Speech level at inference (lipglance.inference.speech.loudness): the same sentence at any level gives the same
motion."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lipglance.inference.model.lipsync import LipSync
from lipglance.inference.speech.loudness import TRAINING_LEVEL_DBFS, active_level, level_gain
from lipglance.io.image import read_image
from lipglance.synth.appearance import Identity
from lipglance.synth.clip import make_clip
from lipglance.synth.corpus.shards import plan

LEVELS = (-10, -20, -30, -36, -42, -45)  # dBFS RMS of the whole file


def _at(audio: np.ndarray, dbfs: float) -> np.ndarray:
    rms = float(np.sqrt(np.mean(audio.astype(np.float64) ** 2)))
    return (audio * 10 ** ((dbfs - 20 * np.log10(rms)) / 20)).astype(np.float32)


def test_active_level_follows_the_gain_and_ignores_pauses(speech: np.ndarray) -> None:
    ref = active_level(speech, 16000)
    assert ref is not None
    for db in (-6.0, -20.0, -30.0):
        level = active_level(speech * 10 ** (db / 20), 16000)
        assert level is not None and abs(level - (ref + db)) < 0.1
    padded = np.concatenate([np.zeros(48000, np.float32), speech, np.zeros(48000, np.float32)])
    assert abs((active_level(padded, 16000) or 0.0) - ref) < 0.1  # silence around speech does not dilute it


def test_silence_and_room_tone_are_not_speech() -> None:
    rng = np.random.default_rng(0)
    t = np.arange(48000) / 16000
    hum = (10 ** (-55 / 20) * np.sin(2 * np.pi * 50 * t)).astype(np.float32)
    for quiet in (np.zeros(48000, np.float32), rng.normal(0, 10 ** (-60 / 20), 48000).astype(np.float32),
                  rng.normal(0, 10 ** (-45 / 20), 48000).astype(np.float32), hum):
        assert active_level(quiet, 16000) is None
        assert level_gain(quiet, 16000) == 1.0


def test_training_level_is_the_corpus_level() -> None:
    """The constant is what the synthetic corpus's training clips measure (scripts/corpus_level.py)."""
    levels = []
    for job in plan(0, 300, 12)[:3]:
        ident = Identity.sample(job.identity_seed)
        for c in job.clips:
            level = active_level(make_clip(ident, c.voice, c.text, c.clip_seed, size=32).wave, 16000)
            assert level is not None
            levels.append(level)
    assert abs(float(np.median(levels)) - TRAINING_LEVEL_DBFS) < 2.5, levels


def test_same_sentence_at_any_level_gives_the_same_motion(model: LipSync, speech: np.ndarray) -> None:
    openings = {db: np.array(list(model.stream_openings(_at(speech, db)))) for db in LEVELS}
    ref = openings[-20]
    assert (ref > 0.05).mean() > 0.4  # the sentence does open the mouth
    for db, o in openings.items():
        # -10 dBFS RMS clips the sample's peaks at 1.0, hence the tolerance; the rest are equal
        assert np.abs(o - ref).max() < 0.05, (db, np.abs(o - ref).max())
        assert abs((o > 0.05).mean() - (ref > 0.05).mean()) < 0.03, db


def test_photo_frames_agree_at_minus_20_and_minus_45(model: LipSync, speech: np.ndarray, astronaut_png: Path) -> None:
    photo = read_image(astronaut_png)
    loud = model.generate(_at(speech, -20), photo).astype(np.int16)
    quiet = model.generate(_at(speech, -45), photo).astype(np.int16)
    diff = np.abs(loud - quiet)
    assert int(diff.max()) <= 4 and float(diff.mean()) < 0.01, (int(diff.max()), float(diff.mean()))


def test_silence_and_room_tone_keep_the_mouth_closed(model: LipSync) -> None:
    rng = np.random.default_rng(1)
    for quiet in (np.zeros(48000, np.float32), rng.normal(0, 10 ** (-60 / 20), 48000).astype(np.float32),
                  rng.normal(0, 10 ** (-50 / 20), 48000).astype(np.float32)):
        assert max(model.stream_openings(quiet)) < 0.02
