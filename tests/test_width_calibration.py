"""The width calibration (generator.shape_width_gain, scripts/calibrate_width.py): every path that renders the shape
head's shapes (offline, live, ONNX) scales their horizontal displacements by the checkpoint's gain and nothing else;
a checkpoint written before the setting existed loads with gain 1; the script fits a gain on a corpus and writes it
into a copy of the checkpoint whose tensors are unchanged."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save as st_save

import lipglance
from lipglance.checkpoint import load_checkpoint, save_checkpoint, tensor_digest
from lipglance.config import ConfigError, config_from_dict
from lipglance.inference.live.stream import LiveShapes
from lipglance.inference.model.lipsync import DEFAULT_WEIGHTS, LipSync
from lipglance.inference.onnx.export import export_onnx

GAIN = 1.5
ROOT = Path(__file__).resolve().parents[1]


def _with_gain(path: Path, gain: float) -> Path:
    ckpt = load_checkpoint(DEFAULT_WEIGHTS, kind="generator")
    gen = dataclasses.replace(ckpt.config.generator, shape_width_gain=gain)
    return save_checkpoint(path, ckpt.tensors, dataclasses.replace(ckpt.config, generator=gen), "generator", ckpt.extra)


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> LipSync:
    return LipSync.from_pretrained(_with_gain(tmp_path_factory.mktemp("w") / "plain.safetensors", 1.0))


@pytest.fixture(scope="module")
def scaled_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _with_gain(tmp_path_factory.mktemp("w") / "scaled.safetensors", GAIN)


def _check_scaled(scaled: np.ndarray, plain: np.ndarray, closed: np.ndarray) -> None:
    """x displacements GAIN times the plain ones except on sealed frames; y unchanged."""
    sealed = np.all(np.isclose(plain, closed[None]), axis=(1, 2))
    assert 0 < sealed.sum() < len(plain) // 2
    np.testing.assert_allclose(scaled[..., 1], plain[..., 1], atol=1e-6)
    np.testing.assert_allclose(scaled[~sealed, :, 0], GAIN * plain[~sealed, :, 0], atol=1e-6)
    np.testing.assert_array_equal(scaled[sealed], plain[sealed])
    assert np.abs(plain[~sealed, :, 0]).max() > 0.02  # the head does move the corners: the check can fail


def test_offline_and_live_shapes_scale_their_width(plain: LipSync, scaled_path: Path, speech: np.ndarray) -> None:
    # the pause gate off: it eases sealed frames toward rest too, so they would no longer be found as sealed below
    plain = dataclasses.replace(plain, pause=False)
    scaled = dataclasses.replace(LipSync.from_pretrained(scaled_path), pause=False)
    assert scaled.config.generator.shape_width_gain == GAIN
    gate = plain.shape_gate()
    assert gate is not None
    offline = np.stack(list(plain.stream_shapes(speech)))
    _check_scaled(np.stack(list(scaled.stream_shapes(speech))), offline, gate[2])

    def live(model: LipSync) -> np.ndarray:
        shapes = LiveShapes(model, 4)
        return np.stack(list(shapes.push(speech)) + shapes.flush())

    _check_scaled(live(scaled), live(plain), gate[2])


def test_onnx_backend_reads_the_gain_from_its_sidecar(plain: LipSync, scaled_path: Path, speech: np.ndarray,
                                                      tmp_path: Path) -> None:
    out = tmp_path / "scaled.onnx"
    export_onnx(out, scaled_path)
    onnx = lipglance.onnx_model(out, threads=2)
    assert onnx.config.generator.shape_width_gain == GAIN
    gate = plain.shape_gate()
    assert gate is not None
    short = speech[:16000 * 3]
    scaled = np.stack(list(onnx.stream_shapes(short)))
    base = np.stack(list(plain.stream_shapes(short)))
    sealed = np.all(np.isclose(base, gate[2][None]), axis=(1, 2))
    np.testing.assert_allclose(scaled[~sealed, :, 0], GAIN * base[~sealed, :, 0], atol=2e-3)


def test_a_checkpoint_without_the_setting_loads_with_gain_one(plain: LipSync, tmp_path: Path,
                                                               speech: np.ndarray) -> None:
    ckpt = load_checkpoint(DEFAULT_WEIGHTS, kind="generator")
    config = ckpt.config.to_dict()
    del config["generator"]["shape_width_gain"]  # as every checkpoint written before it existed
    old = tmp_path / "old.safetensors"
    old.write_bytes(st_save(ckpt.tensors, metadata={
        "glance_format": "1", "kind": "generator", "config": json.dumps(config),
        "extra": json.dumps(ckpt.extra, sort_keys=True), "sha256": tensor_digest(ckpt.tensors)}))
    model = LipSync.from_pretrained(old)
    assert model.config.generator.shape_width_gain == 1.0
    np.testing.assert_array_equal(np.stack(list(model.stream_shapes(speech[:32000]))),
                                  np.stack(list(plain.stream_shapes(speech[:32000]))))


@pytest.mark.parametrize("gain", [0.0, -1.0, 3.5])
def test_a_gain_out_of_range_is_refused(gain: float) -> None:
    with pytest.raises(ConfigError, match="shape_width_gain"):
        config_from_dict({"generator": {"shape_width_gain": gain}})


def test_the_script_fits_a_gain_and_copies_the_tensors(cache_dir: Path, tmp_path: Path) -> None:
    out, record = tmp_path / "cal.safetensors", tmp_path / "cal.json"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "calibrate_width.py"), str(DEFAULT_WEIGHTS),
                    "--data", str(cache_dir), "-o", str(out), "--record", str(record)], check=True,
                   capture_output=True, env=os.environ | {"PYTHONPATH": str(ROOT)})
    fit = json.loads(record.read_text())
    wide = fit["width_std_truth"] / fit["width_std_head"]
    assert fit["frames"] > 100 and fit["gain"] == pytest.approx(wide, abs=1e-4) and 0.2 < fit["gain"] < 5
    ckpt, src = load_checkpoint(out, kind="generator"), load_checkpoint(DEFAULT_WEIGHTS, kind="generator")
    assert ckpt.config.generator.shape_width_gain == fit["gain"]
    assert ckpt.extra["width_calibration"]["gain"] == fit["gain"]
    assert ckpt.tensors.keys() == src.tensors.keys()
    assert all(torch.equal(ckpt.tensors[k], v) for k, v in src.tensors.items())


def test_the_rounding_match_undoes_a_shrunken_head() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    from calibrate_width import rounding_gain

    rng = np.random.default_rng(0)
    classes = np.array(["rounded"] * 50 + ["spread"] * 50 + [""] * 50, dtype=object)
    truth = np.concatenate([rng.normal(0.8, 0.02, 50), rng.normal(1.1, 0.02, 50), rng.normal(1.0, 0.05, 50)])
    head = 1 + 0.4 * (truth - 1)  # the truth's every change drawn at 40%
    assert rounding_gain(head, truth, classes) == pytest.approx(2.5, rel=1e-6)
    with pytest.raises(ValueError, match="no narrower"):
        rounding_gain(np.ones_like(truth), truth, classes)


def test_the_script_can_match_the_rounding_instead(cache_dir: Path, tmp_path: Path) -> None:
    out, record = tmp_path / "cal.safetensors", tmp_path / "cal.json"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "calibrate_width.py"), str(DEFAULT_WEIGHTS),
                    "--data", str(cache_dir), "-o", str(out), "--record", str(record), "--match", "rounding"],
                   check=True, capture_output=True, env=os.environ | {"PYTHONPATH": str(ROOT)})
    fit = json.loads(record.read_text())
    assert fit["match"] == "rounding" and fit["gain"] == fit["gains"]["rounding"] != fit["gains"]["spread"]
    assert fit["at_gain"]["rounding"]["rounded_spread"] == pytest.approx(fit["rounded_spread_truth"], abs=1e-3)
    assert load_checkpoint(out, kind="generator").config.generator.shape_width_gain == fit["gain"]
    assert "--match rounding" in fit["command"]
