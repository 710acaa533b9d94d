"""The bundled default model: complete, small, documented, and its lips follow speech, not silence."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from glance.checkpoint import load_checkpoint
from glance.data.cache import Cache
from glance.inference import DEFAULT_WEIGHTS, LipSync
from glance.io.audio import load_audio


def test_bundled_model_is_small_complete_and_documented() -> None:
    assert DEFAULT_WEIGHTS.stat().st_size <= 25 * 2**20
    ckpt = load_checkpoint(DEFAULT_WEIGHTS, kind="generator")
    card = (DEFAULT_WEIGHTS.parent / "MODEL_CARD.md").read_text()
    assert f"{ckpt.extra['step']:,} GAN steps" in card, "the card names the shipped step"
    model = LipSync.from_pretrained()
    assert model.config.generator.identity_skips and len(model.audio_stats.mean) == model.config.audio.n_mels


def test_speech_moves_the_lips_and_silence_holds_them(cache_dir: Path, sample_wav: Path) -> None:
    """Held-out identities (another corpus seed) from the test split, the held-out voice."""
    model = LipSync.from_pretrained()
    cache = Cache(cache_dir)
    speech = load_audio(sample_wav, model.sample_rate)
    silence = np.zeros(model.sample_rate * 2, np.float32)
    ratios = []
    for item in cache.split("test"):
        identity = np.ascontiguousarray(np.asarray(cache.crops(item))[0])
        talk = np.stack(list(model.stream_lips(speech, identity))).astype(np.float32)
        quiet = np.stack(list(model.stream_lips(silence, identity))).astype(np.float32)
        assert np.abs(quiet[0] - identity).mean() < 12, "silence keeps the face it was given"
        ratios.append(np.abs(np.diff(talk, axis=0)).mean() / np.abs(np.diff(quiet, axis=0)).mean())
    assert ratios and min(ratios) > 2.5, ratios
