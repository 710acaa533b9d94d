"""Mouth shapes (lipglance.shape): true widths from crops, the PCA basis, viseme classes, the sync report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from lipglance.data.cache import Cache
from lipglance.eval.sync import LoudnessBaseline, loudness_db, summarise, sync_report
from lipglance.shape import (
    CLOSED,
    WIDE,
    ShapeBasis,
    clip_shapes,
    frame_classes,
    mouth_width,
    opening_of,
    opening_shape,
    upright,
    width_of,
)
from lipglance.synth.appearance import Identity
from lipglance.synth.clip import make_clip
from lipglance.synth.corpus.shards import clip_meta
from lipglance.synth.geometry import mouth_points


def _clip() -> tuple[dict, np.ndarray, np.ndarray]:
    """A real synthetic clip: (manifest item, crop landmarks, true pose-free mouth points)."""
    ident = Identity.sample(7)
    clip = make_clip(ident, "mbrola-us1", "bin blue by m two now", seed=3)
    truth = np.stack([mouth_points(a, ident.shape) for a in clip.articulation])
    return {"meta": clip_meta(clip), "frames": len(clip.frames)}, clip.landmarks, truth


def test_shapes_recover_the_true_width_that_the_crop_rule_hides() -> None:
    item, landmarks, truth = _clip()
    shapes = clip_shapes(item, landmarks)
    rest = truth[frame_classes(item, len(truth)) == ""]
    true_width = mouth_width(truth) / np.median(mouth_width(rest))
    width = width_of(shapes)
    assert np.corrcoef(width, true_width)[0, 1] > 0.97
    assert np.abs(width - true_width).max() < 0.04
    assert true_width.min() < 0.85  # the clip rounds its lips ("blue", "two") ...
    crop_px = mouth_width(landmarks) / np.median(mouth_width(landmarks))
    assert np.corrcoef(crop_px, true_width)[0, 1] < 0.9  # ... which crop pixels alone do not show


def test_shapes_rest_at_zero_and_open_like_the_truth() -> None:
    item, landmarks, truth = _clip()
    shapes = clip_shapes(item, landmarks)
    classes = frame_classes(item, len(shapes))
    gap = (truth[:, 18, 1] - truth[:, 14, 1]) / mouth_width(truth[0])
    assert np.corrcoef(opening_of(shapes), gap)[0, 1] > 0.97
    assert (opening_of(shapes)[classes == "bilabial"] < CLOSED).all()
    assert classes.tolist().count("bilabial") >= 3 and "rounded" in classes and "spread" in classes
    u = upright(landmarks)
    assert np.allclose(u[:, 0, 1], u[:, 6, 1], atol=1e-6) and np.allclose(u[:, 0, 0], -u[:, 6, 0], atol=1e-6)


def test_basis_round_trip_and_unit_variance() -> None:
    rng = np.random.default_rng(0)
    shapes = rng.normal(size=(500, 3)) @ rng.normal(size=(3, 40)) * 0.05
    shapes = shapes.reshape(-1, 20, 2)
    basis = ShapeBasis.fit(shapes, 3)
    coeffs = basis.encode(shapes)
    assert np.allclose(basis.decode(coeffs), shapes, atol=1e-9)
    assert np.allclose(coeffs.std(0, ddof=1), 1, atol=1e-6)
    assert np.abs(ShapeBasis.fit(shapes, 2).decode(ShapeBasis.fit(shapes, 2).encode(shapes)) - shapes).max() > 1e-3


def test_opening_shape_opens_without_changing_width() -> None:
    s = opening_shape(np.array([0.0, 0.2]))
    assert np.allclose(opening_of(s), [0, 0.2]) and np.allclose(width_of(s), 1)


def test_sync_summary_of_hand_made_sources() -> None:
    truth = np.zeros((6, 20, 2))
    truth[:, 18, 1] = [0.0, 0.2, 0.1, 0.0, 0.3, 0.1]
    truth[1, 6, 0], truth[2, 6, 0] = -0.1, 0.05  # frame 1 rounded (narrower), frame 2 spread
    classes = np.array(["bilabial", "rounded", "spread", "bilabial", "", ""], dtype=object)
    ideal = summarise(truth, truth, classes)
    assert ideal["opening_r"] > 0.9999 and ideal["bilabial_closure"] == 1
    assert abs(ideal["width_ratio"] - 0.9 / 1.05) < 1e-9
    flat = summarise(opening_shape(np.full(6, 0.1)), truth, classes)
    assert flat["bilabial_closure"] == 0 and flat["width_ratio"] == 1 and flat["opening_r"] == 0


def test_loudness_baseline_fits_floor_and_gain() -> None:
    db = np.array([-70.0, -30.0, -20.0, -10.0, 0.0])
    base = LoudnessBaseline.fit([db], [np.clip(db + 40, 0, None) * 0.01])
    assert base.floor == -40 and abs(base.gain - 0.01) < 1e-9
    mel = np.log(np.full((8, 4), 1e-3))
    mel[4:] += np.log(100.0)  # 20 dB louder in the second frame
    assert np.allclose(loudness_db(mel), [-20, 0])


def test_sync_report_on_a_corpus(cache_dir: Path) -> None:
    cache = Cache(cache_dir)
    mpf = cache.info["params"]["audio"]["mels_per_frame"]
    base = LoudnessBaseline(-50.0, 0.004)
    report = sync_report({"loudness": lambda it, mel: base.shapes(loudness_db(mel, mpf)),
                          "still": lambda it, mel: np.zeros((len(mel) // mpf, 20, 2))}, cache, "test")
    truth, still, loud = (report["sources"][k] for k in ("truth", "still", "loudness"))
    assert truth["bilabial_closure"] == 1 and truth["opening_r"] > 0.9999 and truth["width_ratio"] < 0.95
    assert still["bilabial_closure"] == 1 and still["opening_r"] == 0
    assert loud["opening_r"] > 0.3
    assert report["frames"] == sum(it["frames"] for it in cache.split("test"))
    json.dumps(report)


def test_closure_gate_seals_the_frames_it_fires_on(cache_dir: Path) -> None:
    import torch

    from lipglance.config import load_config
    from lipglance.data.dataset import LipClipDataset
    from lipglance.model import GlanceNetworks
    from lipglance.train.stages import fit_basis

    gen = GlanceNetworks(load_config("tiny+shape")).generator
    head = gen.shape_head
    assert head is not None and head.gated and head.needs_shared()
    ds = LipClipDataset(Cache(cache_dir), "train", frames=16, shapes=True)
    fit_basis(head, ds)
    closed = head.closed_shape.reshape(20, 2).numpy()
    assert opening_of(closed) < CLOSED and np.abs(closed).max() > 0  # the corpus's own mean sealed shape
    head.eval()
    mel = ds[0]["mel"][None]
    with torch.no_grad():
        feat = gen.audio_encoder(mel)
        k = head.basis_components.shape[0]
        free = head.shapes(head.coefficients(feat)[..., :k]).numpy()
        head.net[-1].bias[-1] = -1e4  # never fires: the regression's shapes pass through
        shapes, logit = head(mel, feat, parts=True)
        assert logit is not None and bool((logit < 0).all()) and np.allclose(shapes.numpy(), free)
        assert np.allclose(head(mel, feat).numpy(), free)
        head.net[-1].bias[-1] = 1e4  # always fires: every frame sealed
        sealed = head(mel, feat).numpy()
    assert np.allclose(sealed, closed) and (opening_of(sealed) < CLOSED).all() and not np.allclose(free, closed)


def test_tempo_reads_log_mel_shapes_and_seals_at_the_same_times(cache_dir: Path) -> None:
    from lipglance.data.dataset import LipClipDataset

    ds = LipClipDataset(Cache(cache_dir), "train", frames=8, shapes=True, tempo=0.4)
    i = next(k for k, it in enumerate(ds.items) if it["frames"] >= 40)
    item, mpf = ds.items[i], ds.mpf
    raw, shapes, sealed = np.asarray(ds.cache.mel(item), np.float32), ds.clip_shapes(i), ds.sealed_frames(i)
    m, s, z = ds.at_tempo(i, 3, 1.0)
    assert np.allclose(m, raw[3 * mpf:11 * mpf]) and np.allclose(s, shapes[3:11]) and (z == sealed[3:11]).all()
    m, s, z = ds.at_tempo(i, 3, 2.0)  # twice as fast: every other frame, every other mel row
    assert np.allclose(m, raw[3 * mpf:19 * mpf:2]) and np.allclose(s, shapes[3:19:2]) and (z == sealed[3:19:2]).all()
    m, s, _ = ds.at_tempo(i, 3, 1.5)  # between frames: halfway blends
    assert np.allclose(s[1], (shapes[4] + shapes[5]) / 2)
    assert np.allclose(m[1], (raw[3 * mpf + 1] + raw[3 * mpf + 2]) / 2)
    ds.tempo, ds.augment = 0.4, True
    assert ds[0]["mel"].shape == LipClipDataset(Cache(cache_dir), "train", frames=8, shapes=True)[0]["mel"].shape


def test_gate_calibration_closes_the_asked_share_of_open_frames(cache_dir: Path) -> None:
    import torch

    from lipglance.config import load_config
    from lipglance.data.dataset import LipClipDataset
    from lipglance.inference.model.lipsync import LipSync
    from lipglance.model import GlanceNetworks
    from lipglance.train.stages import calibrate_gate, fit_basis

    torch.manual_seed(0)
    cfg = load_config("tiny+shape")
    gen = GlanceNetworks(cfg).generator
    head = gen.shape_head
    assert head is not None
    ds = LipClipDataset(Cache(cache_dir), "train", frames=16, shapes=True)
    fit_basis(head, ds)
    model = LipSync(gen.eval(), cfg, ds.stats, True, "cpu")
    wide = [opening_of(ds.clip_shapes(i)) > WIDE for i in range(len(ds.items))]
    assert sum(w.sum() for w in wide) >= 100
    for rate in (0.05, 0.5):
        calibrate_gate(gen, cfg, ds, rate, torch.device("cpu"))
        closed = np.concatenate([(opening_of(model.shapes_of_mel(np.asarray(ds.cache.mel(it)))) < CLOSED)[w]
                                 for it, w in zip(ds.items, wide, strict=True)])
        assert abs(closed.mean() - rate) < 0.03


def test_shape_stage_trains_calibrates_and_exports(cache_dir: Path, tmp_path: Path, sample_wav: Path) -> None:
    """`lipglance train shape` from the bundled generator: validation on whole clips, a calibrated gate, and an
    exported checkpoint whose shapes drive the photo renderer."""
    import shutil

    from lipglance.cli import main
    from lipglance.inference.model.lipsync import DEFAULT_WEIGHTS, LipSync
    from lipglance.io.audio import load_audio

    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(DEFAULT_WEIGHTS, run / "generator.safetensors")
    assert main(["train", "shape", "--config", "tiny+release+skips+silence+shape+shape_own", "--data", str(cache_dir),
                 "--out", str(run), "--steps", "30", "--batch-size", "4", "--eval-every", "30",
                 "--eval-windows", "16", "--ckpt-every", "30"]) == 0
    rows = [json.loads(line) for line in (run / "shape" / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["step"] == 30 and 0 < rows[-1]["shape_l1_pct"] < 100 and rows[-1]["gate_threshold"] != 0
    model = LipSync.from_pretrained(run / "shape.safetensors")
    assert model.generator.shape_head is not None and model.generator.shape_head.gated
    shapes = np.stack(list(model.stream_shapes(load_audio(sample_wav, model.sample_rate))))
    assert shapes.shape[1:] == (20, 2) and np.isfinite(shapes).all() and shapes.std(0).max() > 0


def test_seal_detector_gives_the_gate_logit_whatever_the_level_and_tilt(cache_dir: Path) -> None:
    """With shape_seal the closure logit comes from the seal detector (the shape network has no gate output),
    the detector normalises each band over the window (a voice's level and tilt do not change the logit), and
    its logit seals the frames it fires on."""
    import torch

    from lipglance.config import load_config
    from lipglance.data.dataset import LipClipDataset
    from lipglance.model import GlanceNetworks
    from lipglance.train.stages import fit_basis

    torch.manual_seed(0)
    gen = GlanceNetworks(load_config("tiny+shape+shape_seal")).generator
    head = gen.shape_head
    assert head is not None and head.seal is not None and head.gated
    assert head.net[-1].out_channels == head.basis_components.shape[0]
    ds = LipClipDataset(Cache(cache_dir), "train", frames=16, shapes=True)
    fit_basis(head, ds)
    head.eval()
    mel = torch.stack([ds[i]["mel"] for i in range(4)])
    with torch.no_grad():
        feat = gen.audio_encoder(mel)
        _, logit = head(mel, feat, parts=True)
        tilt = torch.linspace(-2.0, 2.0, mel.shape[-1])  # per band: a louder, brighter or duller voice
        _, moved = head(mel * 1.7 + tilt, feat, parts=True)
        assert logit.shape == (4, 16) and logit.std() > 0
        assert torch.allclose(logit, moved, atol=1e-3)
        head.seal.net[-1].bias.fill_(1e4)
        sealed = head(mel, feat).numpy()
    assert np.allclose(sealed, head.closed_shape.reshape(20, 2).numpy())
