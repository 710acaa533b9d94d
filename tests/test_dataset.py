"""`LipClipDataset` on a synthetic cache: windows, identity outside the window, mismatched audio,
DataLoader workers, deterministic test iteration; and `lipglance av-offset` on the same cache."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from lipglance.cli import main
from lipglance.data.av_offset import lag_correlations
from lipglance.data.cache import Cache
from lipglance.data.dataset import LipClipDataset, collate, rest_frames


def _to_uint8(x: torch.Tensor) -> np.ndarray:
    return x.add(1).mul(127.5).round().clamp(0, 255).byte().numpy()


def test_windows_identity_and_mismatch(cache_dir: Path) -> None:
    cache = Cache(cache_dir)
    ds = LipClipDataset(cache, "train", train=True, seed=3)
    items = cache.split("train")
    assert len(ds) == sum(len(range(0, i["frames"] - 15, 8)) for i in items)
    for index in range(0, len(ds), 7):
        s = ds[index]
        i, start = ds.windows[index]
        crops = cache.crops(items[i])
        assert s["video"].shape == (3, 16, 64, 64) and s["mel"].shape == (1, 64, 128)
        np.testing.assert_array_equal(_to_uint8(s["video"]).transpose(1, 2, 3, 0), crops[start:start + 16])
        ident = _to_uint8(s["identity"]).transpose(1, 2, 0)
        matches = [f for f in range(len(crops)) if np.array_equal(crops[f], ident)]
        assert matches and all(not start <= f < start + 16 for f in matches), "identity from outside the window"
        assert not torch.equal(s["mel"], s["wrong_mel"])


def test_silent_windows_show_the_clips_closed_mouth(cache_dir: Path) -> None:
    cache = Cache(cache_dir)
    items = cache.split("train")
    rng = np.random.default_rng(0)
    for item in items:
        idx = rest_frames(item, 16, rng)
        opening = np.asarray(item["meta"]["opening"])
        assert idx is not None and len(idx) == 16 and (opening[idx] < 0.05).all()
        assert np.abs(np.diff(idx)).max() <= 1, "played back and forth, no jumps"
    assert rest_frames({"frames": 3, "meta": {"opening": [2.0, 3.0, 1.0]}}, 16, rng) is None
    ds = LipClipDataset(cache, "train", train=True, seed=1, silence=1.0)
    speech = LipClipDataset(cache, "train", train=True, seed=1)
    loud = np.mean([speech[i]["mel"].mean().item() for i in range(0, len(ds), 5)])
    floor = (np.log(1e-5) - np.array(ds.stats.mean)) / np.array(ds.stats.std)
    for index in range(0, len(ds), 5):
        s = ds[index]
        crops = cache.crops(items[ds.windows[index][0]])
        opening = np.asarray(items[ds.windows[index][0]]["meta"]["opening"])
        frames = _to_uint8(s["video"]).transpose(1, 2, 3, 0)
        shown = [next(f for f in range(len(crops)) if np.array_equal(crops[f], x)) for x in frames]
        assert (opening[shown] < 0.05).all()
        mel = s["mel"][0].numpy()
        assert (mel >= floor - 1e-4).all() and mel.mean() < loud - 0.5


def test_mel_is_normalised_with_training_statistics(cache_dir: Path) -> None:
    ds = LipClipDataset(cache_dir, "train", train=False)
    mel = torch.cat([ds[i]["mel"][0] for i in range(len(ds))])
    assert abs(mel.mean().item()) < 0.3 and 0.6 < mel.std().item() < 1.4


def test_test_iteration_is_deterministic_and_training_varies_by_epoch(cache_dir: Path) -> None:
    ds = LipClipDataset(cache_dir, "test", train=False, seed=5)
    a = [ds[i]["identity"] for i in range(len(ds))]
    b = [ds[i]["identity"] for i in range(len(ds))]
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    tr = LipClipDataset(cache_dir, "train", train=True, seed=5)
    first = tr[0]["mel"]
    assert torch.equal(first, tr[0]["mel"])
    tr.set_epoch(1)
    assert not torch.equal(first, tr[0]["mel"])


def test_dataloader_workers_give_the_same_batches(cache_dir: Path) -> None:
    ds = LipClipDataset(cache_dir, "val", train=False)

    def batches(workers: int) -> list[torch.Tensor]:
        dl = DataLoader(ds, batch_size=4, num_workers=workers, collate_fn=collate)
        return [b.video for b in dl]

    single, multi = batches(0), batches(2)
    assert len(single) == len(multi) > 0
    assert all(torch.equal(x, y) for x, y in zip(single, multi, strict=True))


def test_lag_correlation_finds_a_known_shift() -> None:
    rng = np.random.default_rng(0)
    motion = rng.normal(size=200)
    audio = np.roll(motion, 3)  # the audio repeats the motion 3 frames later: lips lead by 3
    r = lag_correlations(audio, motion)
    assert int(np.nanargmax(r)) - 8 == -3


def test_av_offset_on_the_corpus(cache_dir: Path, tmp_path: Path) -> None:
    assert main(["av-offset", str(cache_dir), "--out", str(tmp_path / "avo")]) == 0
    rows = [json.loads(line) for line in (tmp_path / "avo.jsonl").read_text().splitlines()]
    assert len(rows) == 20 and (tmp_path / "avo.png").stat().st_size > 1000
    lags = np.array([r["best_lag"] for r in rows])
    # The corpus lips lead the audio by 0-120 ms (0-3 frames): the lags sit at or below zero.
    assert np.median(lags) <= 0 and (np.abs(lags) <= 4).mean() >= 0.8


def test_shape_targets_move_onto_one_lead(cache_dir: Path) -> None:
    """train.shape_lead: a clip's shapes and frame classes are resampled in time onto the asked lead; at the clip's own
    lead they are its shapes, one frame (0.04 s) more lead reads each frame's next one."""
    own = LipClipDataset(cache_dir, "train", shapes=True)
    for i in range(3):
        lead = float(own.items[i]["meta"]["lead"])
        same = LipClipDataset(cache_dir, "train", shapes=True, lead=lead)
        np.testing.assert_allclose(same.clip_shapes(i), own.clip_shapes(i), atol=1e-9)
        later = LipClipDataset(cache_dir, "train", shapes=True, lead=lead + 0.04)
        np.testing.assert_allclose(later.clip_shapes(i)[:-1], own.clip_shapes(i)[1:], atol=1e-6)
        assert np.abs(own.clip_shapes(i)[1:] - own.clip_shapes(i)[:-1]).max() > 0.01  # the shapes do change
    assert 0 < own.items[0]["meta"]["lead"] <= 0.12
