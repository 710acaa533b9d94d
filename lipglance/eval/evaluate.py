"""`lipglance evaluate RUN_OR_WEIGHTS --data CACHE --split test`: LMD, SSIM, PSNR, CPBD (docs/DESIGN.md).

The model runs in eval mode on every window of the split (the model's `generator.frames`, 16 in
the paper, with a hop of half a window) with the identity frame drawn outside the window, fixed by
seed. Per-window values go to a jsonl file; the summary (mean +- std over windows; LMD detection
failures counted out of the frames evaluated) to a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from lipglance.data.cache import Cache
from lipglance.data.dataset import LipClipDataset, collate
from lipglance.errors import UserError
from lipglance.eval.metrics import METRICS, lmd_frames
from lipglance.eval.silence import closure_summary, silence_closure
from lipglance.inference.model.lipsync import LipSync, video_u8


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="LMD, SSIM, PSNR, CPBD of a generator on a cache split")
    p.add_argument("weights", help="a run folder (uses RUN/generator.safetensors) or a generator checkpoint")
    p.add_argument("--data", required=True, help="cache folder")
    p.add_argument("--split", default="test")
    p.add_argument("--metrics", default="lmd,ssim,psnr,cpbd", help="comma-separated subset")
    p.add_argument("--limit", type=int, default=0, help="evaluate N windows spread evenly over the split (0: all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--closure", type=int, default=8, metavar="N",
                   help="also measure how far digital silence closes an open mouth, on N clips (0: skip)")
    p.add_argument("--sync", action="store_true",
                   help="instead: mouth-shape sync per viseme class against the corpus's landmarks (opening "
                        "correlation, p/b/m closure, rounded/spread width) for the shape head, the motion probe "
                        "and a loudness envelope (lipglance.eval.sync); --limit counts clips")
    p.add_argument("--shape-probe", action="store_true",
                   help="with --sync: also a ridge probe of mouth shape read on the generator's frames")
    p.add_argument("--out", help="output prefix (default: next to the weights, eval-SPLIT)")
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    p.set_defaults(func=run)


def silent_frames(item: dict[str, Any], start: int, frames: int) -> np.ndarray:
    """Frames of the window whose time falls in silence (ground-truth phones of a synthetic clip)."""
    phones = item.get("meta", {}).get("phones")
    mask = np.zeros(frames, bool)
    if not phones:
        return mask
    lead = float(item["meta"].get("lead", 0.0))
    t = (start + np.arange(frames) + 0.5) / item["fps"] + lead  # the audio time each frame shows
    for name, a, b in phones:
        if name == "sil":
            mask |= (t >= a + 0.1) & (t < b - 0.1)  # clear of the coarticulation ramps
    return mask


@torch.no_grad()
def evaluate(model: LipSync, cache: Cache, split: str, metrics: list[str], limit: int = 0, seed: int = 0,
             device: str = "cpu", progress: bool = True) -> tuple[list[dict[str, Any]], dict[str, tuple[float, float]]]:
    frames = model.config.generator.frames
    ds = LipClipDataset(cache, split, frames=frames, hop=max(1, frames // 2), train=False, seed=seed,
                        stats=model.audio_stats)
    if len(ds) == 0:
        raise UserError(f"{cache.root}: split '{split}' has no windows")
    # With a limit, windows spread evenly over the split (every identity), not the first N.
    picks = list(range(len(ds))) if not limit or limit >= len(ds) else \
        [int(i) for i in np.linspace(0, len(ds) - 1, limit).round()]
    gen = model.generator.eval().to(device)
    rows: list[dict[str, Any]] = []
    silent_lmd: list[float] = []
    for start in tqdm(range(0, len(picks), 8), desc="evaluate", unit="batch", file=sys.stderr, disable=not progress):
        idx = picks[start:start + 8]
        b = collate([ds[i] for i in idx]).to(device)
        fake = gen(b.mel, b.identity).float().clamp(-1, 1)
        fakes, reals = video_u8(fake), video_u8(b.video)
        for i, f, r in zip(idx, fakes, reals, strict=True):
            item_i, w0 = ds.windows[i]
            item = ds.items[item_i]
            row: dict[str, Any] = {"video": item["id"], "start": w0}
            for m in metrics:
                if m == "lmd":
                    dists, failures = lmd_frames(f, r)
                    ok = [x for x in dists if x == x]
                    row["lmd"] = float(np.mean(ok)) if ok else None
                    row["lmd_failures"] = failures
                    quiet = silent_frames(item, w0, len(f))
                    silent_lmd += [d for d, q in zip(dists, quiet, strict=True) if q and d == d]
                else:
                    row.update(METRICS[m](f, r))
            rows.append(row)
    summary: dict[str, tuple[float, float]] = {}
    for key in [k for k in rows[0] if k not in ("video", "start")]:
        vals = np.array([r[key] for r in rows if r[key] is not None], float)
        if key == "lmd_failures":
            summary[key] = (float(vals.sum()), float(len(rows) * frames))
        elif len(vals):
            summary[key] = (float(vals.mean()), float(vals.std()))
    if "lmd" in metrics and silent_lmd:
        summary["lmd_silent"] = (float(np.mean(silent_lmd)), float(np.std(silent_lmd)))
    return rows, summary


def markdown(summary: dict[str, tuple[float, float]], title: str) -> str:
    names = {"lmd": "LMD (px, lower better)", "lmd_silent": "LMD silent frames", "ssim": "SSIM", "psnr": "PSNR (dB)",
             "cpbd": "CPBD", "silence_closure": "Closure in silence (1 = closed)",
             "silence_opening": "Opening in silence, open identity (px)",
             "silence_opening_from_closed": "Opening in silence, closed identity (px)",
             "silence_closed_share": "Clips closed in silence (closure >= 0.8)"}
    lines = [f"| {title} | value |", "|---|---|"]
    for key, (mean, std) in summary.items():
        if key == "lmd_failures":
            lines.append(f"| LMD detection failures | {mean:.0f} of {std:.0f} frames |")
        elif key == "silence_closed_share":
            lines.append(f"| {names[key]} | {mean:.0%} of {std:.0f} clips |")
        else:
            lines.append(f"| {names.get(key, key)} | {mean:.3f} +- {std:.3f} |")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    path = Path(args.weights)
    weights = path / "generator.safetensors" if path.is_dir() else path
    if not weights.is_file():
        raise UserError(f"{weights}: no generator checkpoint (train one with `lipglance train gan`)")
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()]
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise UserError(f"unknown metric(s) {', '.join(unknown)} (known: {', '.join(METRICS)})")
    torch.manual_seed(args.seed)
    model = LipSync.from_pretrained(weights, device=args.device)
    cache = Cache(args.data)
    if args.sync:
        from lipglance.eval.sync import run_sync

        out = Path(args.out) if args.out else weights.parent / f"eval-{args.split}-sync"
        try:
            title = f"{weights.name} on {Path(args.data).name}/{args.split}"
            run_sync(model, cache, args.split, args.limit, out, title, args.shape_probe)
        except ValueError as e:
            raise UserError(str(e)) from None
        print(out.with_suffix(".md").read_text(), end="")
        return 0
    rows, summary = evaluate(model, cache, args.split, metrics, args.limit, args.seed, args.device)
    if args.closure > 0:
        summary.update(closure_summary(silence_closure(model, cache, args.split, limit=args.closure)))
    out = Path(args.out) if args.out else weights.parent / f"eval-{args.split}"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.with_suffix(".jsonl").open("w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
        f.write(json.dumps({"summary": {k: {"mean": m, "std": s} for k, (m, s) in summary.items()},
                            "weights": str(weights), "data": str(args.data), "split": args.split,
                            "windows": len(rows)}) + "\n")
    table = markdown(summary, f"{weights.name} on {Path(args.data).name}/{args.split} ({len(rows)} windows)")
    out.with_suffix(".md").write_text(table + "\n")
    print(table)
    return 0


