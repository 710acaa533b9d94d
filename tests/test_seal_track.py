"""The seal track (lipglance.nn.seal.SealTrack, `lipglance seal`): fitted onto the bundled model's shape head on a real
synthetic cache, stored in the checkpoint, and deciding the p/b/m closure of whole-recording inference."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from lipglance.cli import main
from lipglance.data.cache import Cache
from lipglance.inference.model.lipsync import DEFAULT_WEIGHTS, LipSync
from lipglance.inference.onnx.backend import onnx_model


@pytest.fixture(scope="module")
def fitted(cache_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("seal")
    out, report = root / "sealed.safetensors", root / "seal.json"
    assert main(["seal", str(DEFAULT_WEIGHTS), "--data", str(cache_dir), "-o", str(out), "--chunk", "16",
                 "--steps", "60", "--report", str(report)]) == 0
    return out, json.loads(report.read_text())


def test_the_fit_scores_track_and_gate_on_the_same_frames_and_keeps_the_model(fitted: tuple[Path, dict],
                                                                              model: LipSync) -> None:
    out, report = fitted
    sealed = LipSync.from_pretrained(out)
    assert sealed.config.generator.seal_track == 16 and sealed.track_frames() == 16
    for split in ("val", "test"):
        gate, track = report["scores"]["gate"][split], report["scores"]["track"][split]
        assert gate["seal_frames"] == track["seal_frames"] > 0 and gate["open_frames"] == track["open_frames"] > 0
        assert 0.0 <= track["auc"] <= 1.0
    assert report["scores"]["track"]["val"]["open_closed"] <= 0.05 + 1e-9  # the threshold's promise, where set
    # Everything but the track is the bundled model's: the motion probe and the head's shapes before the gate.
    assert sealed.motion is not None and model.motion is not None
    assert all(np.array_equal(a, b) for a, b in zip(sealed.motion.to_tensors().values(),
                                                    model.motion.to_tensors().values(), strict=True))
    mels = torch.randn(2, 1, 64, 128, generator=torch.Generator().manual_seed(0))
    assert np.array_equal(model.head_parts(mels), sealed.head_parts(mels))


def test_the_track_decides_where_the_lips_close(fitted: tuple[Path, dict], cache_dir: Path) -> None:
    sealed = LipSync.from_pretrained(fitted[0])
    head = sealed.generator.shape_head
    assert head is not None and head.track is not None
    closed = head.closed_shape.reshape(20, 2).numpy()
    cache = Cache(cache_dir)
    decided = 0
    for item in cache.split("test"):
        mel = np.asarray(cache.mel(item))
        shapes, logits = sealed.shapes_of_mel(mel), sealed.seal_logits_of_mel(mel)
        shut = np.array([np.array_equal(s, closed) for s in shapes])
        assert np.array_equal(shut, logits > float(head.track.threshold))
        decided += int(shut.sum())
    assert decided > 0  # some frames were closed by the track


def test_a_frame_hears_only_its_own_chunks(fitted: tuple[Path, dict], cache_dir: Path) -> None:
    """Chunks of 16 frames, hop 8: frames before 80 do not hear what changes from frame 100 on, so memory and
    latency do not grow with the recording."""
    sealed = LipSync.from_pretrained(fitted[0])
    cache = Cache(cache_dir)
    mel = np.concatenate([np.asarray(cache.mel(item)) for item in cache.split("test")[:3]])
    assert len(mel) >= 4 * 140
    other = mel.copy()
    other[400:] = other[400:][::-1]
    a, b = sealed.seal_logits_of_mel(mel), sealed.seal_logits_of_mel(other)
    assert np.allclose(a[:80], b[:80], atol=1e-5)
    assert not np.allclose(a[100:], b[100:], atol=1e-3)


def test_onnx_runs_the_track_and_track_false_gives_the_gate(fitted: tuple[Path, dict], cache_dir: Path) -> None:
    import dataclasses

    pytest.importorskip("onnxruntime")
    sealed = LipSync.from_pretrained(fitted[0])
    onnx = onnx_model(fitted[0])
    assert onnx.track_frames() == 16
    cache = Cache(cache_dir)
    mel = np.concatenate([np.asarray(cache.mel(item)) for item in cache.split("test")[:3]])
    want, got = sealed.gate_logits_of_mel(mel), onnx.gate_logits_of_mel(mel)
    assert np.abs(want - got).max() < 1e-3
    gate = dataclasses.replace(sealed, track=False)
    assert gate.track_frames() == 0 and dataclasses.replace(onnx, track=False).track_frames() == 0
    head = sealed.generator.shape_head
    assert head is not None
    own = gate.gate_logits_of_mel(mel)  # the gate's window logit, as live decides
    assert not np.allclose(own, want, atol=0.1)
    assert np.array_equal(own, dataclasses.replace(LipSync.from_pretrained(), track=False).gate_logits_of_mel(mel))


@pytest.mark.parametrize("case", ["chunk", "no_head", "false", "no_phones"])
def test_bad_seal_arguments_are_one_line_exit_2(case: str, cache_dir: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    weights = str(DEFAULT_WEIGHTS)
    extra = {"chunk": ["--chunk", "15"], "false": ["--false", "1.5"], "no_head": [], "no_phones": []}[case]
    if case == "no_head":
        weights = _headless(tmp_path)
    if case == "no_phones":  # a cache of real videos (lipglance preprocess) has no phone timings
        cache_dir = _without_phones(cache_dir, tmp_path / "real")
    out = tmp_path / "o.safetensors"
    assert main(["seal", weights, "--data", str(cache_dir), "-o", str(out), *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0]
    assert {"chunk": "even number", "false": "a share", "no_head": "no gated shape head",
            "no_phones": "no phone timings"}[case] in err[0]
    assert not out.exists()


def _headless(tmp_path: Path) -> str:
    """The bundled checkpoint without its shape head (config and tensors)."""
    import dataclasses

    from lipglance.checkpoint import load_checkpoint, save_checkpoint

    ckpt = load_checkpoint(DEFAULT_WEIGHTS, kind="generator")
    cfg = dataclasses.replace(ckpt.config, generator=dataclasses.replace(ckpt.config.generator, shape_components=0,
                                                                             seal_track=0, tongue_track=0))
    tensors = {k: v for k, v in ckpt.tensors.items() if not k.startswith("shape_head.")}
    return str(save_checkpoint(tmp_path / "headless.safetensors", tensors, cfg, "generator", ckpt.extra))


def _without_phones(cache_dir: Path, to: Path) -> Path:
    """A copy of the cache whose clips carry no phone timings, as `lipglance preprocess` writes them."""
    import shutil

    shutil.copytree(cache_dir, to)
    lines = [json.loads(line) for line in (to / "manifest.jsonl").read_text().splitlines() if line.strip()]
    for item in lines:
        item.get("meta", {}).pop("phones", None)
    (to / "manifest.jsonl").write_text("".join(json.dumps(item) + "\n" for item in lines))
    return to


def test_a_threshold_set_on_held_out_training_voices(cache_dir: Path, tmp_path: Path) -> None:
    """With --hold-out the track never hears those training voices, and its threshold closes the promised share of
    their clearly open frames (not of the validation split's held-out voice)."""
    from lipglance.data.cache import Cache as _Cache
    from lipglance.seal_fit import seal_clips, split_logits

    cache = _Cache(cache_dir)
    voices = sorted({it["meta"]["voice"] for it in cache.split("train")})
    out, report = tmp_path / "held.safetensors", tmp_path / "held.json"
    assert main(["seal", str(DEFAULT_WEIGHTS), "--data", str(cache_dir), "-o", str(out), "--chunk", "16",
                 "--steps", "30", "--hold-out", voices[0], "--false", "0.05", "--report", str(report)]) == 0
    record = json.loads(report.read_text())
    assert record["calibration_voices"] == [voices[0]]
    sealed = LipSync.from_pretrained(out)
    every = seal_clips(cache, "train", sealed.config.audio.mels_per_frame)
    held = [c for c, it in zip(every, cache.split("train"), strict=True) if it["meta"]["voice"] == voices[0]]
    _, wide = split_logits(sealed.seal_logits_of_mel, held)
    assert record["scores"]["track"]["val"]["open_frames"] == len(wide) > 0
    assert float((wide > record["threshold"]).mean()) <= 0.05 + 1e-9
