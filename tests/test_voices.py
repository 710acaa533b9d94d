"""Levers of the shape stage for recorded speech and unseen voices: the recording-channel augmentation
(lipglance.data.channel), vowel weights, fine-tuning a model's head (--init MODEL) and scripts/graft_parts.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lipglance.data import channel
from lipglance.data.cache import Cache


def test_band_centres_are_the_filter_banks_peaks() -> None:
    from lipglance.audio import mel_filterbank

    fb = mel_filterbank(16000, 1024, 128)
    peaks = np.linspace(0, 8000, 513)[fb.argmax(1)]
    assert np.abs(channel.band_hz(128) - peaks).max() < 16.0  # within one FFT bin (15.6 Hz)


def test_a_low_pass_stops_the_bands_above_its_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(channel, "LOW_PASS", 1.0)
    monkeypatch.setattr(channel, "HIGH_PASS", 0.0)
    monkeypatch.setattr(channel, "LOW_PASS_HZ", (4000.0, 4000.0))
    hz = channel.band_hz(128)
    db = channel.limits_db(hz, np.random.default_rng(0))
    assert (db[hz < 4000] == 0).all() and (db[hz > 4500] == -channel.STOP_DB).all()
    assert ((db[(hz > 4000) & (hz < 4500)] < 0) & (db[(hz > 4000) & (hz < 4500)] > -channel.STOP_DB)).all()


def test_babble_is_another_talker_at_the_drawn_snr(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (("NOISE", 1.0), ("BABBLE", 1.0), ("EQ", 0.0), ("LOW_PASS", 0.0), ("HIGH_PASS", 0.0)):
        monkeypatch.setattr(channel, name, value)
    rng = np.random.default_rng(1)
    speech, other = rng.exponential(2.0, (64, 128)), rng.exponential(1e3, (64, 128)) * np.linspace(0.1, 3, 128)
    for seed in range(20):
        heard = channel.channel_power(speech, np.random.default_rng(seed), other)
        added = heard - speech
        snr = 10 * np.log10(speech.mean() / added.mean())
        assert 5.0 <= snr <= 30.0
        assert np.allclose(added / added.mean(), other / other.mean())  # the other talker's spectrum, scaled


def test_channel_augmentation_changes_only_the_asked_share_and_keeps_the_rest(cache_dir: Path) -> None:
    from lipglance.data.dataset import LipClipDataset, augment_log_mel

    mel = np.asarray(Cache(cache_dir).mel(Cache(cache_dir).split("train")[0]), np.float32)[:64]
    plain = [augment_log_mel(mel, np.random.default_rng(s), 0.15) for s in range(30)]
    none = [augment_log_mel(mel, np.random.default_rng(s), 0.15, 0.0, mel) for s in range(30)]
    every = [augment_log_mel(mel, np.random.default_rng(s), 0.15, 1.0, mel) for s in range(30)]
    assert all(np.array_equal(a, b) for a, b in zip(plain, none, strict=True))  # channel 0: the shipped recipe's draws
    assert sum(not np.allclose(a, b) for a, b in zip(plain, every, strict=True)) >= 25
    ds = LipClipDataset(Cache(cache_dir), "train", frames=16, train=True, shapes=True, channel=1.0)
    assert ds[0]["mel"].shape == LipClipDataset(Cache(cache_dir), "train", frames=16, shapes=True)[0]["mel"].shape


@pytest.mark.parametrize("tempo", [0.0, 0.4])
def test_vowel_weight_lifts_rounded_and_spread_frames(cache_dir: Path, tempo: float) -> None:
    from lipglance.data.dataset import LipClipDataset

    kw = {"frames": 16, "train": True, "shapes": True, "closure_weight": 4.0, "tempo": tempo}
    flat, lifted = LipClipDataset(Cache(cache_dir), "train", **kw), LipClipDataset(Cache(cache_dir), "train",
                                                                                    vowel_weight=2.0, **kw)
    seen = 0
    for k in range(len(flat)):
        a, b = flat[k]["shape_weight"].numpy(), lifted[k]["shape_weight"].numpy()
        up = b > a
        assert np.allclose(b[up] - a[up], 2.0) and np.allclose(a[~up], b[~up])
        seen += int(up.sum())
    assert seen > 0


def test_a_shape_stage_can_start_from_the_bundled_models_head() -> None:
    import torch

    from lipglance.checkpoint import load_checkpoint
    from lipglance.config import load_config
    from lipglance.inference.model.lipsync import DEFAULT_WEIGHTS
    from lipglance.model import GlanceNetworks
    from lipglance.train.state import load_weights

    cfg = load_config("tiny+release+skips+silence+shape+shape_own+mel_warp+channel")
    head = GlanceNetworks(cfg).generator.shape_head
    assert head is not None
    load_weights(DEFAULT_WEIGHTS, {"shape_head": head})
    shipped = load_checkpoint(DEFAULT_WEIGHTS).tensors
    own = head.state_dict()
    assert own and all(torch.equal(v, shipped[f"shape_head.{k}"]) for k, v in own.items())
    assert any(k.startswith("shape_head.track.") for k in shipped)  # the seal track is left behind (refitted later)
    assert any(k.startswith("shape_head.tongue.") for k in shipped)  # and the tongue track


def test_graft_gives_a_fine_tuned_head_its_parents_track_and_probe(tmp_path: Path) -> None:
    import dataclasses
    import subprocess
    import sys

    import torch

    from lipglance.checkpoint import load_checkpoint, save_checkpoint
    from lipglance.inference.model.lipsync import DEFAULT_WEIGHTS

    shipped = load_checkpoint(DEFAULT_WEIGHTS)
    bare = {k: v for k, v in shipped.tensors.items() if not k.startswith(("shape_head.track.", "motion."))}
    bare["shape_head.gate_threshold"] = bare["shape_head.gate_threshold"] + 1.0  # a head with its own calibration
    cfg = dataclasses.replace(shipped.config, generator=dataclasses.replace(shipped.config.generator, seal_track=0))
    stats = {"audio_stats": shipped.extra["audio_stats"]}
    save_checkpoint(tmp_path / "head.safetensors", bare, cfg, "generator", stats)
    script = Path(__file__).resolve().parents[1] / "scripts" / "graft_parts.py"
    run = [sys.executable, str(script), str(tmp_path / "head.safetensors"), "--from", str(DEFAULT_WEIGHTS)]
    assert subprocess.run([*run, "-o", str(tmp_path / "out.safetensors")], capture_output=True).returncode == 0
    out = load_checkpoint(tmp_path / "out.safetensors")
    assert out.config.generator.seal_track == shipped.config.generator.seal_track
    assert out.extra["seal"] == shipped.extra["seal"] and out.extra["motion"] == shipped.extra["motion"]
    assert set(out.tensors) == set(shipped.tensors)
    for k, v in out.tensors.items():
        assert torch.equal(v, bare[k] if k in bare else shipped.tensors[k])
    assert subprocess.run([*run, "-o", str(tmp_path / "seal.safetensors"), "--track-only"]).returncode == 0
    sealed = load_checkpoint(tmp_path / "seal.safetensors")
    assert set(sealed.tensors) == {k for k in shipped.tensors if not k.startswith("motion.")}
    assert "motion" not in sealed.extra
    bare[next(k for k in bare if k.startswith("decoder.") and bare[k].is_floating_point())] += 1  # another generator
    save_checkpoint(tmp_path / "other.safetensors", bare, cfg, "generator", stats)
    other = [*run[:2], str(tmp_path / "other.safetensors"), *run[3:], "-o", str(tmp_path / "x.safetensors")]
    r = subprocess.run(other, capture_output=True, text=True)
    assert r.returncode != 0 and "different generators" in r.stderr and not (tmp_path / "x.safetensors").exists()


def test_seal_shift_moves_the_operating_point_and_nothing_else(tmp_path: Path) -> None:
    import subprocess
    import sys

    import torch

    from lipglance.checkpoint import load_checkpoint
    from lipglance.inference.model.lipsync import DEFAULT_WEIGHTS, LipSync
    from lipglance.io.audio import load_audio
    from lipglance.shape import CLOSED, opening_of

    script = Path(__file__).resolve().parents[1] / "scripts" / "seal_shift.py"
    out = tmp_path / "lower.safetensors"
    run = [sys.executable, str(script), str(DEFAULT_WEIGHTS), "--shift", "-1.0", "-o", str(out)]
    assert subprocess.run(run, capture_output=True).returncode == 0
    shipped, lower = load_checkpoint(DEFAULT_WEIGHTS), load_checkpoint(out)
    key = "shape_head.track.threshold"
    assert float(lower.tensors[key]) == pytest.approx(float(shipped.tensors[key]) - 1.0)
    assert all(torch.equal(v, shipped.tensors[k]) for k, v in lower.tensors.items() if k != key)
    assert lower.extra["seal_shift"] == -1.0
    wave = load_audio(Path(DEFAULT_WEIGHTS).parent / "sample.wav", 16000)
    closed = [int((opening_of(np.stack(list(LipSync.from_pretrained(w).stream_shapes(wave)))) < CLOSED).sum())
              for w in (DEFAULT_WEIGHTS, out)]
    assert closed[1] > closed[0]  # a lower threshold seals more frames of the same speech
