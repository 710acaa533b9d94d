"""`lipglance motion WEIGHTS --data CACHE`: fit the motion probe and store it in the generator checkpoint.

The probe (lipglance.motion) reads how open the generator's mouth is on a proxy frame of its
training data; the warp renderer of `lipglance generate` moves a photo's own lips by it. The probe
and the proxy come from the cache's training split; the gain that undoes the generator's
under-opening is fitted on its validation split (generated vs. the landmarks' relative opening);
the test split scores the result: correlation and mean absolute error of the relative opening.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from lipglance.checkpoint import load_checkpoint, save_checkpoint
from lipglance.data.cache import Cache
from lipglance.data.dataset import LipClipDataset, collate
from lipglance.errors import UserError
from lipglance.inference.model.lipsync import LipSync, image_tensor, video_u8
from lipglance.motion import MotionProbe
from lipglance.shape import inner_opening, mouth_width


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("motion", help="fit the motion probe that animates real photos; store it in a checkpoint")
    p.add_argument("weights", help="generator checkpoint")
    p.add_argument("--data", required=True, help="the cache the generator was trained on")
    p.add_argument("--windows", type=int, default=240, help="windows per split for the gain and the score")
    p.add_argument("-o", "--output", help="output checkpoint (default: rewrite WEIGHTS in place)")
    p.set_defaults(func=run)


@torch.no_grad()
def window_openings(model: LipSync, motion: MotionProbe, ds: LipClipDataset, picks: list[int],
                    progress: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(generated, true) relative openings of every frame of the dataset windows `picks`, the generator
    driven by each window's audio with the proxy as identity."""
    proxy = image_tensor(motion.proxy).to(model.device)
    made, true = [], []
    for start in tqdm(range(0, len(picks), 8), desc="motion", unit="batch", file=sys.stderr, disable=not progress):
        idx = picks[start:start + 8]
        mel = collate([ds[i] for i in idx]).mel.to(model.device)
        for i, clip in zip(idx, video_u8(model.generator(mel, proxy.expand(len(idx), -1, -1, -1))), strict=True):
            item, w0 = ds.windows[i]
            points = np.asarray(ds.cache.landmarks(ds.items[item]), np.float32)[w0:w0 + len(clip)]
            made.append(motion.relative(clip))
            true.append(inner_opening(points) / mouth_width(points))
    return np.concatenate(made), np.concatenate(true)


def relative_openings(model: LipSync, motion: MotionProbe, cache: Cache, split: str,
                      windows: int) -> tuple[np.ndarray, np.ndarray]:
    """`window_openings` on up to `windows` windows spread over `split`."""
    ds = LipClipDataset(cache, split, train=False, seed=0, stats=model.audio_stats)
    if len(ds) == 0:
        raise UserError(f"{cache.root}: split '{split}' has no windows")
    picks = [int(i) for i in np.linspace(0, len(ds) - 1, min(windows, len(ds))).round()]
    return window_openings(model, motion, ds, picks, progress=True)


def run(args: argparse.Namespace) -> int:
    model = LipSync.from_pretrained(args.weights)
    cache = Cache(args.data)
    if not cache.split("train"):
        raise UserError(f"{args.data}: the cache has no training split to fit the probe on")
    motion = MotionProbe.fit(cache)
    made, true = relative_openings(model, motion, cache, "val" if cache.split("val") else "train", args.windows)
    motion = dataclasses.replace(motion, gain=float((made @ true) / max(made @ made, 1e-9)))
    made, true = relative_openings(model, motion, cache, "test", args.windows)
    corr, mae = float(np.corrcoef(made, true)[0, 1]), float(np.abs(made - true).mean())
    weights = Path(args.weights)
    ckpt = load_checkpoint(weights, kind="generator")
    tensors = {k: v for k, v in ckpt.tensors.items() if not k.startswith("motion.")} | motion.to_tensors()
    extra = ckpt.extra | {"motion": {"cache": Path(args.data).name, "gain": round(motion.gain, 3),
                                     "test_corr": round(corr, 3), "test_mae": round(mae, 4)}}
    out = Path(args.output) if args.output else weights
    save_checkpoint(out, tensors, ckpt.config, "generator", extra)
    print(f"wrote {out} with a motion probe (gain {motion.gain:.2f}); on {Path(args.data).name}/test the relative "
          f"mouth opening correlates {corr:.3f} with the truth, mean absolute error {mae:.3f} of the mouth width")
    return 0
