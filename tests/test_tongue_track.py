"""The tongue track (`lipglance seal --tongue`): fitted onto the bundled model on a real synthetic cache, stored in
the checkpoint, and drawing the tongue's raised tip from the sound alone where it fires, on open lips only, while the
mouth shapes stay exactly as the head draws them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import skimage.data
import torch

from lipglance.checkpoint import load_checkpoint
from lipglance.cli import main
from lipglance.data.cache import Cache
from lipglance.inference.model.lipsync import DEFAULT_WEIGHTS, LipSync
from lipglance.inference.render.tongue import raised_by
from lipglance.shape import opening_of
from lipglance.tongue_cli import precision_threshold


@pytest.fixture(scope="module")
def fitted(cache_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("tongue")
    out, report = root / "tongue.safetensors", root / "tongue.json"
    voices = sorted({it["meta"]["voice"] for it in Cache(cache_dir).split("train")})
    assert main(["seal", str(DEFAULT_WEIGHTS), "--tongue", "--data", str(cache_dir), "-o", str(out), "--chunk", "16",
                 "--steps", "30", "--hold-out", voices[0], "--report", str(report)]) == 0
    return out, json.loads(report.read_text())


def test_the_threshold_is_the_lowest_that_keeps_the_precision() -> None:
    rng = np.random.default_rng(0)
    truth = (rng.random(2000) < 0.05).astype(np.float32)
    logits = truth * 1.5 + rng.normal(0, 1, 2000)
    for want in (0.3, 0.6):
        th = precision_threshold(logits, truth, want)
        assert truth[logits > th].mean() >= want
        below = logits[logits <= th].max()  # one more frame in: the precision falls under the target somewhere lower
        assert truth[logits >= below].mean() < want or below < th
    assert raised_by(-0.5) == 0.0 and raised_by(0.0) == 0.0 and 0.0 < raised_by(1.0) < raised_by(3.0) < 1.0


def test_the_fit_reports_and_keeps_the_rest_of_the_model(fitted: tuple[Path, dict]) -> None:
    out, report = fitted
    tongue = LipSync.from_pretrained(out)
    assert tongue.config.generator.tongue_track == 16 and tongue.tongue_frames() == 16
    for split in ("calibration", "test"):
        r = report["scores"][split]
        assert r["frames"] > r["l_frames"] > 0 and 0.0 <= r["auc"] <= 1.0
        assert r["precision_within_a_frame"] >= r["precision"]
    ckpt, base = load_checkpoint(out), load_checkpoint(DEFAULT_WEIGHTS)
    assert all(torch.equal(v, ckpt.tensors[k]) for k, v in base.tensors.items())
    assert ckpt.extra["tongue"]["threshold"] == report["threshold"]
    assert LipSync.from_pretrained().tongue_frames() == 0  # the bundled model without one draws no tip from sound


def test_the_tip_shows_where_the_track_fires_on_open_lips_only(fitted: tuple[Path, dict], speech: np.ndarray,
                                                                model: LipSync) -> None:
    tongue = LipSync.from_pretrained(fitted[0])
    head = tongue.generator.shape_head
    assert head is not None and head.tongue is not None
    with torch.no_grad():
        head.tongue.threshold.fill_(-1e3)  # fire on every frame: every open frame shows the raised tip
    clip = speech[:2 * 16000]
    cues = list(tongue.stream_tongues(clip))
    shapes = np.stack(list(model.stream_shapes(clip)))
    assert len(cues) == len(shapes) and all(c.raised == 1.0 and c.between == 0.0 for c in cues)
    assert np.array_equal(np.stack(list(tongue.stream_shapes(clip))), shapes)  # the shapes are the head's
    photo = skimage.data.astronaut()
    a = list(model.stream(clip, photo, still=True))
    b = list(tongue.stream(clip, photo, still=True))
    differs = np.array([not np.array_equal(x, y) for x, y in zip(a, b, strict=True)])
    opening = opening_of(shapes)
    assert differs[opening > 0.15].all()  # wide open: the tip drawn
    assert not differs[opening < 0.01].any()  # closed lips hide it
    assert list(model.stream_tongues(clip)) == []


def test_round_and_tongue_together_is_one_line_exit_2(cache_dir: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "o.safetensors"
    assert main(["seal", str(DEFAULT_WEIGHTS), "--round", "--tongue", "--data", str(cache_dir), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0] and "--tongue" in err[0]
    assert not out.exists()
