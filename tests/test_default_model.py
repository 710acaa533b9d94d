"""The bundled default model: complete, small, documented, and its lips follow speech, not silence."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from lipglance.checkpoint import load_checkpoint
from lipglance.data.cache import Cache
from lipglance.eval.silence import closure_summary, silence_closure
from lipglance.inference.model.lipsync import DEFAULT_WEIGHTS, LipSync
from lipglance.io.audio import load_audio


def test_bundled_model_is_small_complete_and_documented() -> None:
    assert DEFAULT_WEIGHTS.stat().st_size <= 25 * 2**20
    ckpt = load_checkpoint(DEFAULT_WEIGHTS, kind="generator")
    card = (DEFAULT_WEIGHTS.parent / "MODEL_CARD.md").read_text()
    assert f"{ckpt.extra['step']:,} shape steps" in card, "the card names the shipped step"
    model = LipSync.from_pretrained()
    assert model.config.generator.identity_skips and model.motion is not None
    head = model.generator.shape_head
    assert head is not None and head.gated and float(head.gate_threshold) != 0, "a shape head, its gate calibrated"
    sync = json.loads((Path(__file__).resolve().parent.parent / "docs" / "sync.json").read_text())["sources"]
    for src in ("generator", "loudness"):  # the card's sync table is docs/sync.json's
        s = sync[src]
        assert f"| {s['opening_r']:.3f} | {s['opening_mae']:.3f} | {s['bilabial_closure']:.0%} |" in card, src
    assert ckpt.extra["motion"]["test_corr"] > 0.6, "the card's motion numbers come from the checkpoint"
    assert f"{ckpt.extra['motion']['test_corr']:.2f}" in card
    assert len(model.audio_stats.mean) == model.config.audio.n_mels


def test_shape_head_beats_a_loudness_envelope(cache_dir: Path) -> None:
    """The shipped shape head against a loudness envelope (floor and gain fitted on the validation split)
    driving the same mouth shapes, on the test split of another corpus seed (held-out identities, held-out
    voice): the opening follows the truth better, p/b/m frames close, rounded vowels are narrower than spread."""
    from lipglance.eval.sync import model_sources, sync_report

    model = LipSync.from_pretrained()
    cache = Cache(cache_dir)
    sources = model_sources(model, cache)
    sources = {k: sources[k] for k in ("generator", "loudness")}
    report = sync_report(sources, cache, "test")
    gen, loud = report["sources"]["generator"], report["sources"]["loudness"]
    assert gen["opening_r"] > loud["opening_r"] + 0.05, report
    assert gen["bilabial_closure"] >= loud["bilabial_closure"] + 0.1, report  # 14 p/b/m frames in this split
    assert gen["width_ratio"] < loud["width_ratio"] - 0.02, report


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


def test_silence_closes_an_open_mouth(cache_dir: Path) -> None:
    """Digital silence with each held-out test clip's most open frame as the identity: the mouth the
    model draws is (nearly) as closed as the clip's own closed frames (`lipglance/eval/silence.py`)."""
    summary = closure_summary(silence_closure(LipSync.from_pretrained(), Cache(cache_dir), "test", limit=8))
    assert summary["silence_closure"][0] > 0.7, summary
    assert summary["silence_opening_from_closed"][0] < 2.0, "silence keeps a closed mouth closed"


def test_motion_opens_with_speech_and_rests_in_silence(sample_wav: Path, astronaut_png: Path) -> None:
    """The warp renderer's motion: zero (closed lips) on all-silent audio, large in speech, small in pauses."""
    from PIL import Image

    model = LipSync.from_pretrained()
    rate, hop = model.sample_rate, model.sample_rate // model.fps
    assert not any(model.stream_openings(np.zeros(rate * 3, np.float32)))
    speech = load_audio(sample_wav, rate)
    opening = np.array(list(model.stream_openings(speech)))
    energy = np.array([np.sqrt(np.mean(speech[i * hop:(i + 1) * hop] ** 2)) for i in range(len(opening))])
    quiet = np.convolve(energy < 0.01 * energy.max(), np.ones(3), "same") == 3  # amid near silence
    assert quiet.sum() >= 3 and not opening[quiet].any(), "the pauses around the sentence are closed"
    assert opening.max() > 0.15 and (opening > 0.05).mean() > 0.5, opening
    change = np.abs(np.diff(opening))
    boundaries = [i - 1 for i in range(8, len(opening), 8)]  # from frame i-1 to i at a window start
    assert change[boundaries].max() <= np.delete(change, boundaries).max(), "no jump where windows meet"
    photo = np.asarray(Image.open(astronaut_png).convert("RGB"))
    lips = model.generate(speech[:rate], photo, lips_only=True)
    assert lips.shape == (25, 64, 64, 3) and model.renderer(photo) == "shape"  # warp on request
    crop = model.prepare(photo, close_mouth=False)[0]  # a real lip crop: the network's by default, warp on request
    assert model.renderer(crop) == "network"
    warped = model.generate(speech[:rate], crop, renderer="warp")
    assert warped.shape == (25, 64, 64, 3) and np.abs(np.diff(warped.astype(int), axis=0)).max() > 40
