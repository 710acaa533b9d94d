"""The round track (lipglance.nn.seal.RoundTrack, `lipglance seal --round`): fitted onto the bundled model's shape head
on a real synthetic cache, stored in the checkpoint, and giving whole-recording inference the open mouth's width while
openings and p/b/m seals stay exactly as the head draws them."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from lipglance.checkpoint import load_checkpoint, save_checkpoint
from lipglance.cli import main
from lipglance.data.cache import Cache
from lipglance.inference.model.lipsync import DEFAULT_WEIGHTS, LipSync
from lipglance.inference.model.windows import fit_width
from lipglance.shape import width_of
from lipglance.track_io import with_track


@pytest.fixture(scope="module")
def fitted(cache_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("round")
    out, report = root / "round.safetensors", root / "round.json"
    voices = sorted({it["meta"]["voice"] for it in Cache(cache_dir).split("train")})
    assert len(voices) >= 2
    assert main(["seal", str(DEFAULT_WEIGHTS), "--round", "--data", str(cache_dir), "-o", str(out), "--chunk", "16",
                 "--steps", "40", "--hold-out", voices[0], "--report", str(report)]) == 0
    return out, json.loads(report.read_text())


def test_fit_width_sets_the_width_and_keeps_the_vertical() -> None:
    rng = np.random.default_rng(0)
    rest_x = np.array([-0.5, -0.35, -0.15, 0, 0.15, 0.35, 0.5, 0.35, 0.15, 0, -0.15, -0.35,
                       -0.4, -0.15, 0, 0.15, 0.4, 0.15, 0, -0.15], np.float32)
    shape = rng.normal(0, 0.03, (20, 2)).astype(np.float32)
    for want in (0.8, 1.0, 1.1):
        out = fit_width(shape, want, rest_x)
        assert abs(float(width_of(out)) - want) < 1e-5
        assert np.array_equal(out[:, 1], shape[:, 1])
    # the corners' midpoint stays where it was
    out = fit_width(shape, 0.8, rest_x)
    assert abs((out[0, 0] + out[6, 0]) - (shape[0, 0] + shape[6, 0])) < 1e-5


def test_the_fit_reports_baselines_and_keeps_the_rest_of_the_model(fitted: tuple[Path, dict], model: LipSync) -> None:
    out, report = fitted
    rounded = LipSync.from_pretrained(out)
    assert rounded.config.generator.round_track == 16 and rounded.round_frames() == 16
    assert dataclasses.replace(rounded, track=False).round_frames() == 0
    scores = report["scores"]
    for split in ("calibration", "test"):
        assert scores["head"][split]["frames"] == scores["track"][split]["frames"] > 0
        assert scores["constant"][split]["source_round_spread"] == 1.0
    assert report["calibration_voices"] and report["augment"]["channel"] == 0.5
    # the gain gives the calibration voices the truth's rounded/spread width (what it was set for)
    cal = scores["track"]["calibration"]
    assert abs(cal["source_round_spread"] - cal["truth_round_spread"]) < 0.02
    ckpt = load_checkpoint(out)
    base = load_checkpoint(DEFAULT_WEIGHTS)
    assert all(torch.equal(v, ckpt.tensors[k]) for k, v in base.tensors.items()
               if not k.startswith("shape_head.round."))
    assert ckpt.extra["round"]["gain"] == report["gain"]


def test_openings_and_seals_stay_and_open_frames_take_the_tracks_width(fitted: tuple[Path, dict],
                                                                       cache_dir: Path) -> None:
    rounded = LipSync.from_pretrained(fitted[0])
    base = LipSync.from_pretrained(DEFAULT_WEIGHTS)  # the same checkpoint without a round track
    gate = base.shape_gate()
    assert gate is not None
    cache = Cache(cache_dir)
    changed = sealed = 0
    for item in cache.split("test"):
        mel = np.asarray(cache.mel(item))
        a, b, widths = base.shapes_of_mel(mel), rounded.shapes_of_mel(mel), rounded.round_widths_of_mel(mel)
        assert np.array_equal(a[..., 1], b[..., 1])  # every opening, bit for bit
        shut = np.array([np.array_equal(s, gate[2]) for s in a])
        assert np.array_equal(a[shut], b[shut])  # sealed frames keep the closed shape
        assert np.allclose(width_of(b[~shut]), widths[~shut], atol=1e-4)
        changed += int((np.abs(width_of(a) - width_of(b)) > 1e-3).sum())
        sealed += int(shut.sum())
    assert changed > 0 and sealed > 0


def test_an_unfitted_round_track_changes_nothing(tmp_path: Path, model: LipSync, speech: np.ndarray) -> None:
    ckpt = load_checkpoint(DEFAULT_WEIGHTS)
    cfg = dataclasses.replace(ckpt.config, generator=dataclasses.replace(ckpt.config.generator, round_track=16))
    rounded, _, _ = with_track(DEFAULT_WEIGHTS, 16, kind="round")  # a round track with no weights fitted
    path = save_checkpoint(tmp_path / "unfitted.safetensors", rounded.generator.state_dict()
                           | {k: v for k, v in ckpt.tensors.items() if k.startswith("motion.")}, cfg, "generator",
                           ckpt.extra)
    unfitted = LipSync.from_pretrained(path)
    assert unfitted.round_frames() == 0
    clip = speech[:3 * 16000]
    assert np.array_equal(np.stack(list(unfitted.stream_shapes(clip))), np.stack(list(model.stream_shapes(clip))))


def test_a_bad_hold_out_is_one_line_exit_2(cache_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "o.safetensors"
    assert main(["seal", str(DEFAULT_WEIGHTS), "--round", "--data", str(cache_dir), "-o", str(out),
                 "--hold-out", "nobody"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0] and "--hold-out" in err[0]
    assert not out.exists()


RECORDING = Path("/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav")
WORDS = ("and mister john dashwood had then leisure to consider how much there might be prudently in his power to "
         "do for them")  # Debian pocketsphinx-testdata's transcription: dashwood (w), to, do (uw)


def test_a_recordings_rounded_vowels_change_width_and_its_openings_do_not(fitted: tuple[Path, dict],
                                                                          model: LipSync) -> None:
    from lipglance.inference.speech.transcript import LEAD, aligned_phones
    from lipglance.io.audio import load_audio

    assert RECORDING.is_file(), "apt-get install pocketsphinx-testdata (make setup does, as root)"
    rounded = LipSync.from_pretrained(fitted[0])
    wave = load_audio(RECORDING, model.sample_rate)
    before, after = np.stack(list(model.stream_shapes(wave))), np.stack(list(rounded.stream_shapes(wave)))
    assert before.shape == after.shape and np.array_equal(before[..., 1], after[..., 1])
    vowels = [p for p in aligned_phones(wave, model.sample_rate, WORDS) if p.canon in ("uw", "w")]
    assert len(vowels) >= 3
    frames = [int(round(((p.start + p.end) / 2 - LEAD) * model.fps - 0.5)) for p in vowels]
    assert np.abs(width_of(after[frames]) - width_of(before[frames])).max() > 0.005


def test_onnx_runs_the_round_track(fitted: tuple[Path, dict], cache_dir: Path) -> None:
    pytest.importorskip("onnxruntime")
    from lipglance.inference.onnx.backend import onnx_model

    rounded, onnx = LipSync.from_pretrained(fitted[0]), onnx_model(fitted[0])
    assert onnx.round_frames() == 16 and dataclasses.replace(onnx, track=False).round_frames() == 0
    cache = Cache(cache_dir)
    mel = np.concatenate([np.asarray(cache.mel(item)) for item in cache.split("test")[:3]])
    want, got = rounded.round_widths_of_mel(mel), onnx.round_widths_of_mel(mel)
    assert np.abs(want - got).max() < 1e-3
    assert np.abs(want - 1.0).max() > 0.01  # the widths are the track's, not a constant
