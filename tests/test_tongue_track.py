"""The tongue track (`lipglance seal --tongue`): fitted onto the bundled model on a real synthetic cache, stored in
the checkpoint, and drawing the tongue's raised tip from the sound alone where it fires, on open lips only, while the
mouth shapes stay exactly as the head draws them."""

from __future__ import annotations

import dataclasses
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
    assert all(torch.equal(v, ckpt.tensors[k]) for k, v in base.tensors.items()
               if not k.startswith("shape_head.tongue."))
    assert ckpt.extra["tongue"]["threshold"] == report["threshold"]
    assert dataclasses.replace(tongue, track=False).tongue_frames() == 0  # as live: no tip from the sound


def _threshold(path: Path, value: float) -> LipSync:
    model = LipSync.from_pretrained(path)
    head = model.generator.shape_head
    assert head is not None and head.tongue is not None
    with torch.no_grad():
        head.tongue.threshold.fill_(value)
    return model


def test_the_tip_shows_where_the_track_fires_on_open_lips_only(fitted: tuple[Path, dict], speech: np.ndarray) -> None:
    firing, silent = _threshold(fitted[0], -1e3), _threshold(fitted[0], 1e3)  # every frame, none
    clip = speech[:2 * 16000]
    cues, none = list(firing.stream_tongues(clip)), list(silent.stream_tongues(clip))
    shapes = np.stack(list(silent.stream_shapes(clip)))
    assert len(cues) == len(none) == len(shapes)
    assert all(c.raised == 1.0 and c.between == 0.0 for c in cues) and all(c.raised == 0.0 for c in none)
    assert np.array_equal(np.stack(list(firing.stream_shapes(clip))), shapes)  # the shapes are the head's
    photo = skimage.data.astronaut()
    a = list(silent.stream(clip, photo, still=True))
    b = list(firing.stream(clip, photo, still=True))
    differs = np.array([not np.array_equal(x, y) for x, y in zip(a, b, strict=True)])
    opening = opening_of(shapes)
    assert differs[opening > 0.15].all()  # wide open: the tip drawn
    assert not differs[opening < 0.01].any()  # closed lips hide it


def test_the_bundled_model_raises_the_tip_on_a_recorded_l(model: LipSync) -> None:
    """A LibriVox sentence of pocketsphinx-testdata: the track fires within a frame of an aligned l."""
    from lipglance.inference.render.tongue import cues as phone_cues
    from lipglance.inference.speech.transcript import LEAD, aligned_phones
    from lipglance.io.audio import load_audio

    root = Path("/usr/share/pocketsphinx/test/data/librivox")
    if not root.is_dir():
        pytest.skip("pocketsphinx-testdata is not installed")
    assert model.tongue_frames() == 48
    fired = near = 0
    for line in (root / "transcription").read_text().splitlines():
        words, fid = line.rsplit("(", 1)
        wave = load_audio(root / f"{fid.strip(' )')}.wav", 16000)
        text = " ".join(words.replace("<s>", " ").replace("</s>", " ").split())
        n = model.frame_count(len(wave))
        l_frames = np.array([c.raised >= 0.5 for c in phone_cues(aligned_phones(wave, 16000, text), n, 25.0, LEAD)])
        raised = np.array([c.raised > 0 for c in model.stream_tongues(wave)])
        around = np.convolve(l_frames, np.ones(3), "same") > 0
        fired, near = fired + int(raised.sum()), near + int((raised & around).sum())
    assert fired > 0 and near / fired >= 0.5


def test_round_and_tongue_together_is_one_line_exit_2(cache_dir: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "o.safetensors"
    assert main(["seal", str(DEFAULT_WEIGHTS), "--round", "--tongue", "--data", str(cache_dir), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0] and "--tongue" in err[0]
    assert not out.exists()
