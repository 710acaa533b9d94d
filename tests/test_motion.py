"""`lipglance motion`: the probe that lets the warp renderer move a photo's own lips, fitted and stored."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from lipglance.checkpoint import load_checkpoint
from lipglance.cli import main
from lipglance.inference.model.lipsync import DEFAULT_WEIGHTS, LipSync


def test_motion_probe_is_fitted_scored_and_stored(tmp_path: Path, cache_dir: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    weights = tmp_path / "g.safetensors"
    shutil.copy(DEFAULT_WEIGHTS, weights)
    assert main(["motion", str(weights), "--data", str(cache_dir), "--windows", "48"]) == 0
    assert "correlates" in capsys.readouterr().out
    ckpt = load_checkpoint(weights, kind="generator")
    assert ckpt.extra["motion"]["test_corr"] > 0.5 and ckpt.extra["motion"]["gain"] > 1
    model = LipSync.from_pretrained(weights)
    assert model.motion is not None and model.motion.proxy.shape == (64, 64, 3)
    # The proxy is a closed mouth: the probe reads it closed, and silence keeps it so.
    assert model.motion.relative(model.motion.proxy[None])[0] == 0
    assert not any(model.stream_openings(np.zeros(model.sample_rate, np.float32)))


def test_motion_refuses_what_is_not_a_generator(tmp_path: Path, cache_dir: Path, sample_wav: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["motion", str(sample_wav), "--data", str(cache_dir)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a readable safetensors checkpoint" in err[0], err
