"""Instruments that other numbers rest on: phi_s's audio derivative, the mismatched-audio draw, the atomic
checkpoint write, and what validation, sample grids and `lipglance evaluate` actually measure."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from lipglance.checkpoint import load_checkpoint, save_checkpoint
from lipglance.config import AudioConfig, load_config
from lipglance.data.cache import Cache, Video, cache_params, finalize, init_cache, write_shard
from lipglance.data.dataset import LipClipDataset
from lipglance.errors import UserError
from lipglance.nn.correlation import AudioDerivativeEncoder


def make_cache(root: Path, lengths: dict[str, tuple[str, int]], size: int = 64, seed: int = 0) -> Cache:
    """A finished cache of videos {id: (split, frames)}: smooth random crops and a distinct random log-mel each."""
    rng = np.random.default_rng(seed)
    audio = AudioConfig()
    init_cache(root, cache_params(audio, crop_size=size), "test")
    videos = []
    for vid, (split, frames) in lengths.items():
        base = rng.integers(40, 200, (1, size, size, 3))
        drift = np.arange(frames)[:, None, None, None] * rng.integers(-3, 4, (1, 1, 1, 3))
        crops = np.clip(base + drift + rng.integers(-20, 20, (frames, size, size, 3)), 0, 255).astype(np.uint8)
        mel = rng.normal(-4, 2, (frames * audio.mels_per_frame, audio.n_mels)).astype(np.float32)
        marks = np.tile(np.stack([np.linspace(20, 44, 20), np.full(20, 40.0)], 1), (frames, 1, 1))
        videos.append(Video(vid, vid, "u", split, crops, mel, marks.astype(np.float32)))
    write_shard(root, 0, videos)
    finalize(root)
    return Cache(root)


# ---------------------------------------------------------------- phi_s: the audio derivative


def test_phi_s_sees_the_time_difference_of_the_audio_features() -> None:
    cfg = dataclasses.replace(load_config("tiny").correlation, form="pearson")  # signed output: nothing clipped
    torch.manual_seed(0)
    enc = AudioDerivativeEncoder(cfg, 8).eval()
    feat = torch.randn(2, 8, 6, 4)
    out = enc(feat)
    assert out.shape[:2] == (2, 5), "one value per frame transition"
    assert out.std() > 1e-3
    # A time-constant offset has no time difference: phi_s must not see it (a slice of the features would).
    torch.testing.assert_close(enc(feat + 5 * torch.randn(2, 8, 1, 4)), out)
    # The same weights without the derivative, fed the forward difference f[t+1] - f[t] by hand.
    plain = AudioDerivativeEncoder(dataclasses.replace(cfg, derivative=False), 8).eval()
    plain.load_state_dict(enc.state_dict())
    torch.testing.assert_close(plain(feat[:, :, 1:] - feat[:, :, :-1]), out)


# ---------------------------------------------------------------- the mismatched-audio draw


def _window_of(ds: LipClipDataset, mel: torch.Tensor) -> list[tuple[int, int]]:
    """Every window of `ds` whose (unaugmented, normalised) log-mel is `mel`."""
    rng = np.random.default_rng(0)
    return [(i, s) for i, s in ds.windows if torch.equal(ds._mel(ds.items[i], s, rng), mel)]


def test_mismatched_audio_is_another_videos(tmp_path: Path) -> None:
    cache = make_cache(tmp_path / "c", {"a": ("train", 40), "b": ("train", 40), "c": ("train", 33)}, size=8)
    for epoch in range(3):
        ds = LipClipDataset(cache, "train", train=True, seed=epoch, augment=False)
        ds.set_epoch(epoch)
        for index in range(len(ds)):
            s = ds[index]
            own = ds.windows[index]
            assert _window_of(ds, s["mel"]) == [own]
            wrong = _window_of(ds, s["wrong_mel"])
            assert len(wrong) == 1 and wrong[0][0] != own[0], (own, wrong)


def test_mismatch_never_falls_back_to_the_true_audio(tmp_path: Path) -> None:
    # One long video (249 windows) and one with a single window: from a window of the long video, 64 random
    # draws all land on the long video about 3 times in 4. The wrong audio must still be the short video's.
    cache = make_cache(tmp_path / "c", {"long": ("train", 2000), "short": ("train", 17)}, size=8)
    ds = LipClipDataset(cache, "train", train=True, seed=0, augment=False)
    short = [(i, s) for i, s in ds.windows if ds.items[i]["id"] == "short"]
    assert len(short) == 1 and len(ds) == 250
    for index in range(0, 249, 31):
        s = ds[index]
        assert not torch.equal(s["wrong_mel"], s["mel"])
        assert _window_of(ds, s["wrong_mel"]) == short


def test_mismatch_within_the_only_video_does_not_overlap(tmp_path: Path) -> None:
    # The second video is too short for a window, so only one video has windows: 0, 8, 16, 24.
    cache = make_cache(tmp_path / "c", {"a": ("train", 40), "tiny": ("train", 10)}, size=8)
    ds = LipClipDataset(cache, "train", train=True, seed=0, augment=False)
    assert [s for _, s in ds.windows] == [0, 8, 16, 24]
    for epoch in range(4):
        ds.set_epoch(epoch)
        for index, (_, start) in enumerate(ds.windows):
            wrong = _window_of(ds, ds[index]["wrong_mel"])
            assert len(wrong) == 1 and abs(wrong[0][1] - start) >= 16, (start, wrong)


def test_mismatch_without_any_other_window_is_an_error(tmp_path: Path) -> None:
    cache = make_cache(tmp_path / "c", {"a": ("train", 20), "b": ("val", 40)}, size=8)
    ds = LipClipDataset(cache, "train", train=True, seed=0, augment=False)
    assert len(ds) == 1
    with pytest.raises(UserError, match="mismatched audio"):
        ds[0]


# ---------------------------------------------------------------- the atomic checkpoint write


@pytest.mark.parametrize("step", ["fsync", "replace"])
def test_checkpoint_write_failing_after_the_bytes_keeps_the_old_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str) -> None:
    cfg = load_config("tiny")
    path = save_checkpoint(tmp_path / "g.safetensors", {"w": torch.arange(6.0)}, cfg, "generator", {"step": 1})
    old = path.read_bytes()
    new_tensors = {"w": torch.full((4096,), 7.0)}
    size_new = len(save_checkpoint(tmp_path / "ref" / "n.safetensors", new_tensors, cfg, "generator",
                                    {"step": 2}).read_bytes())
    seen: list[int] = []
    real = getattr(os, step)

    def boom(*args: object) -> None:
        temps = [p for p in tmp_path.iterdir() if p.is_file() and p != path]
        seen.extend(p.stat().st_size for p in temps)
        if step == "fsync" and not temps:  # the directory fsync of another write: let it through
            return real(*args)
        raise OSError(f"injected failure in os.{step}")

    monkeypatch.setattr(os, step, boom)
    with pytest.raises(OSError, match="injected"):
        save_checkpoint(path, new_tensors, cfg, "generator", {"step": 2})
    monkeypatch.undo()
    assert seen == [size_new], "the failure came after every byte of the new file was written"
    assert path.read_bytes() == old
    assert load_checkpoint(path, kind="generator").extra == {"step": 1}
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == [path.name], "no temporary file is left"


# ---------------------------------------------------------------- the paper preset's correlation form


def test_paper_preset_is_the_papers_cosine_and_pearson_is_a_named_option() -> None:
    assert load_config("paper").correlation.form == "cosine"
    assert load_config("paper+pearson").correlation.form == "pearson"
    assert load_config("paper+e").correlation.form == "cosine"
    # The presets that never claimed to be the paper keep Pearson; cosine.toml still switches them.
    assert load_config("small").correlation.form == load_config("tiny").correlation.form == "pearson"
    assert load_config("tiny+cosine").correlation.form == "cosine"


def test_the_training_docs_table_says_which_config_uses_which_form() -> None:
    text = (Path(__file__).resolve().parents[1] / "docs" / "TRAINING.md").read_text()
    rows = [line for line in text.splitlines() if line.startswith("| `") and line.rstrip().endswith(
        ("cosine, the paper's |", "Pearson |"))]
    assert len(rows) == 4
    for row in rows:
        configs, form = row.strip("| ").split(" | ")
        want = "cosine" if form.startswith("cosine") else "pearson"
        specs = [s for s in configs.split("`")[1::2] if not s.endswith(".toml")]
        assert specs
        for spec in specs:
            spec = {"+pearson": "paper+pearson", "+cosine": "tiny+cosine"}.get(spec, spec)
            assert load_config(spec).correlation.form == want, (spec, row)


# ---------------------------------------------------------------- lip crops, evaluate, validation, samples


def test_lip_crop_landmarks_scale_x_by_the_width_and_y_by_the_height(monkeypatch: pytest.MonkeyPatch) -> None:
    import lipglance.inference.model.lipsync as inference

    seen: list[np.ndarray] = []

    def record(crop: np.ndarray, points: np.ndarray | None = None, **_: object) -> np.ndarray:
        assert points is not None
        seen.append(points)
        return crop

    monkeypatch.setattr(inference, "close_identity", record)
    model = inference.LipSync.untrained("tiny")
    image = np.full((60, 66, 3), 128, np.uint8)  # a lip crop 66 px wide and 60 px high
    points = np.array([[0.0, 0.0], [33.0, 30.0], [66.0, 60.0]] + [[33.0, 30.0]] * 17)
    crop, target = model.prepare(image, points=points)
    assert crop.shape == (64, 64, 3) and target is None
    # Corner, centre and far corner of the crop land on those of the 64x64 identity.
    np.testing.assert_allclose(seen[0][:3], [[0, 0], [32, 32], [64, 64]])


def test_evaluate_uses_the_models_window_length(tmp_path: Path) -> None:
    from lipglance.eval.evaluate import evaluate
    from lipglance.inference.model.lipsync import LipSync
    from lipglance.nn.generator import Generator

    cache = make_cache(tmp_path / "c", {"t1": ("test", 24), "t2": ("test", 20), "tr": ("train", 20)})
    tiny = load_config("tiny")
    cfg = dataclasses.replace(tiny, generator=dataclasses.replace(tiny.generator, frames=8))
    torch.manual_seed(0)
    model = LipSync(Generator(cfg.generator, cfg.audio).eval(), cfg, cache.stats(), False)
    rows, summary = evaluate(model, cache, "test", ["lmd", "psnr"], progress=False)
    # 8-frame windows with a hop of 4: t1 (24 frames) starts 0, 4, 8, 12, 16; t2 (20 frames) 0, 4, 8, 12.
    assert [(r["video"], r["start"]) for r in rows] == [("t1", s) for s in (0, 4, 8, 12, 16)] + \
        [("t2", s) for s in (0, 4, 8, 12)]
    assert all(0 <= r["lmd_failures"] <= 8 for r in rows)
    assert summary["lmd_failures"][1] == 9 * 8, "failures are counted out of the frames evaluated"


def test_flow_validation_uses_the_runs_flow_config(tmp_path: Path) -> None:
    import cv2

    from lipglance.model import GlanceNetworks
    from lipglance.train.validate import validate

    cache = make_cache(tmp_path / "c", {"a": ("train", 20), "v": ("val", 40)})
    tiny = load_config("tiny")
    flow_cfg = dataclasses.replace(tiny.flow, div_flow=5.0, farneback=(0.5, 1, 5, 1, 7, 1.5))
    cfg = dataclasses.replace(tiny, flow=flow_cfg)
    torch.manual_seed(0)
    nets = GlanceNetworks(cfg)
    assert nets.flow is not None
    ds = LipClipDataset(cache, "val", stats=cache.stats())
    got = validate("flow", nets, ds, 2, torch.device("cpu"))["epe_px"]
    # By hand: the net's flow in pixels (x div_flow) against OpenCV Farneback with the run's parameters,
    # Farneback averaged over 4x4 blocks to the net's quarter resolution; mean end-point error per window.
    nets.flow.eval()
    pyr, levels, win, iters, poly_n, sigma = flow_cfg.farneback
    epes = []
    for index in range(2):
        video = ds[index]["video"]
        with torch.no_grad():
            pred = nets.flow.video_flow(video[None])[0].numpy() * 5.0  # [2, 15, 16, 16]
        grey = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in
                video.permute(1, 2, 3, 0).add(1).mul(127.5).round().byte().numpy()]
        truth = np.stack([cv2.calcOpticalFlowFarneback(grey[t], grey[t + 1], None, pyr, levels, win, iters, poly_n,
                                                       sigma, 0) for t in range(15)])  # [15, 64, 64, 2]
        truth = truth.reshape(15, 16, 4, 16, 4, 2).mean(axis=(2, 4)).transpose(3, 0, 1, 2)
        epes.append(np.linalg.norm(pred - truth, axis=0).mean())
    assert got == pytest.approx(float(np.mean(epes)), rel=1e-5)


def test_validation_and_samples_of_an_ema_run_show_the_exported_generator(tmp_path: Path) -> None:
    import cv2

    from lipglance.cli import main
    from lipglance.eval.evaluate import evaluate
    from lipglance.inference.model.lipsync import LipSync
    from lipglance.train.logging import sample_grid

    cache = make_cache(tmp_path / "c", {**{f"t{k}": ("train", 24) for k in range(4)},
                                        "v1": ("val", 32), "v2": ("val", 24)})
    # Pixel loss only (no flow or autoencoder needed); a large learning rate and a short EMA so that the
    # EMA generator and the trained one are clearly apart after two steps.
    toml = tmp_path / "ema.toml"
    toml.write_text('base = "tiny+b"\n[train]\nema_decay = 0.5\nlr = 0.01\n')
    run = tmp_path / "run"
    assert main(["train", "gan", "--config", str(toml), "--data", str(cache.root), "--out", str(run), "--steps", "2",
                 "--batch-size", "2", "--workers", "0", "--device", "cpu", "--eval-every", "2", "--eval-windows", "3",
                 "--sample-every", "2", "--log-every", "1"]) == 0
    metrics = json.loads((run / "gan" / "metrics.jsonl").read_text().splitlines()[-1])
    assert metrics["step"] == 2
    exported = LipSync.from_pretrained(run / "generator.safetensors")
    state = load_checkpoint(run / "gan" / "state.safetensors", kind="training").tensors
    ema_t = {k[len("model/ema/"):]: v for k, v in state.items() if k.startswith("model/ema/")}
    raw_t = {k[len("model/generator/"):]: v for k, v in state.items() if k.startswith("model/generator/")}
    for k, v in exported.generator.state_dict().items():
        torch.testing.assert_close(v, ema_t[k])
    raw = LipSync.from_pretrained(run / "generator.safetensors")
    raw.generator.load_state_dict(raw_t)
    gap = max((raw_t[k].float() - ema_t[k].float()).abs().max().item() for k in raw_t)
    assert gap > 1e-3, "the EMA and the trained generator must differ for this test to mean anything"

    def psnr_of(model: LipSync) -> float:
        return evaluate(model, cache, "val", ["psnr", "ssim"], 3, 0, progress=False)[1]["psnr"][0]

    assert metrics["psnr"] == pytest.approx(psnr_of(exported), abs=1e-6)
    assert abs(metrics["psnr"] - psnr_of(raw)) > 1e-4
    # The sample grid: real over generated frames of four validation windows, generated by the EMA.
    png = cv2.cvtColor(cv2.imread(str(run / "gan" / "samples" / "step-0000002.png")), cv2.COLOR_BGR2RGB)
    ds = LipClipDataset(cache, "val", stats=cache.stats())
    picks = [ds[int(i)] for i in np.linspace(0, len(ds) - 1, min(4, len(ds))).astype(int)]
    video, mel, ident = (torch.stack([p[k] for p in picks]) for k in ("video", "mel", "identity"))
    with torch.no_grad():
        np.testing.assert_array_equal(png, sample_grid(video, exported.generator.eval()(mel, ident)))
        assert not np.array_equal(png, sample_grid(video, raw.generator.eval()(mel, ident)))
