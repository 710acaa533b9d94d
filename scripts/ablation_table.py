"""Evaluate GAN-stage variants at one common step; write the ablation table and its frame strips.

    .venv/bin/python scripts/ablation_table.py runs/ablation --data data/corpus --step 320 \\
        --variants tiny+release+b tiny+release --out docs/ablation

reads RUNS/VARIANT/gan/snapshots/generator-stepNNNNNNN.safetensors (`lipglance train --keep-every`) and writes
OUT.md (table), OUT.json, OUT_test.png (held-out test windows: truth, still image, every variant) and
OUT_photos.png (the real held-out photos with the bundled held-out-voice sentence). A "still image" row
(the identity frame repeated) is the floor a model must beat to have learned any lip motion.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from types import SimpleNamespace

import cv2
import numpy as np
import torch
from figures import label  # scripts/figures.py
from PIL import Image
from torch import nn

from lipglance.data.cache import Cache
from lipglance.data.dataset import LipClipDataset, collate
from lipglance.eval.evaluate import evaluate
from lipglance.eval.silence import closure_summary, inner_gap, silence_closure
from lipglance.inference.model.lipsync import LipSync
from lipglance.io.audio import load_audio
from lipglance.samples import sample_photos

COLUMNS = ("lmd", "lmd_silent", "ssim", "psnr", "cpbd", "silence_closure")
SAMPLE_WAV = Path(__file__).resolve().parents[1] / "lipglance" / "assets" / "sample.wav"


class Still(nn.Module):
    """The identity frame, unchanged, for every frame: no motion at all."""

    def __init__(self, frames: int) -> None:
        super().__init__()
        self.frames = frames

    def forward(self, mel: torch.Tensor, identity: torch.Tensor) -> torch.Tensor:
        return identity[:, :, None].expand(-1, -1, self.frames, -1, -1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs")
    ap.add_argument("--data", required=True)
    ap.add_argument("--step", type=int, required=True)
    ap.add_argument("--variants", nargs="+", required=True)
    ap.add_argument("--limit", type=int, default=240, help="test windows, spread over the split")
    ap.add_argument("--closure", type=int, default=16, help="test clips for the closure-in-silence column")
    ap.add_argument("--out", required=True, help="output prefix")
    args = ap.parse_args()
    torch.manual_seed(0)
    cache = Cache(args.data)
    models = {v: LipSync.from_pretrained(Path(args.runs) / v / "gan" / "snapshots" /
                                         f"generator-step{args.step:07d}.safetensors") for v in args.variants}
    first = next(iter(models.values()))
    still = SimpleNamespace(generator=Still(first.config.generator.frames), audio_stats=first.audio_stats)
    table: dict[str, dict[str, list[float]]] = {}
    for name, model in {"still image": still, **models}.items():
        metrics = ["lmd", "ssim", "psnr", "cpbd"]
        _, summary = evaluate(model, cache, "test", metrics, args.limit)  # type: ignore[arg-type]
        if isinstance(model, LipSync):  # digital silence from each clip's most open frame (the still row: 0)
            summary.update(closure_summary(silence_closure(model, cache, "test", limit=args.closure)))
        table[name] = {k: list(summary[k]) for k in COLUMNS if k in summary}
        print(name, {k: round(v[0], 3) for k, v in table[name].items()}, flush=True)

    # Frame strips on two held-out test windows of different identities.
    ds = LipClipDataset(cache, "test", train=False, stats=first.audio_stats)
    picks = [i for i, (item, start) in enumerate(ds.windows) if start == 8][:: max(1, len(ds.items) // 2)][:2]
    batch = collate([ds[i] for i in picks])
    def row(video: torch.Tensor) -> np.ndarray:  # [2, 3, 16, H, W] -> 8 frames of each window side by side
        u8 = video.clamp(-1, 1).add(1).mul(127.5).round().byte().permute(0, 2, 3, 4, 1).numpy()
        return np.concatenate([f for clip in u8 for f in clip[::2]], axis=1)
    rows, names = [row(batch.video), row(still.generator(batch.mel, batch.identity))], ["truth", "still image"]
    with torch.no_grad():
        for name, model in models.items():
            rows.append(row(model.generator.eval()(batch.mel, batch.identity)))
            names.append(name)
    cv2.imwrite(f"{args.out}_test.png", cv2.cvtColor(label(rows, names), cv2.COLOR_RGB2BGR))

    # Real held-out photos, held-out voice: lips at 8 times + inner-lip opening in speech vs silence.
    audio = load_audio(SAMPLE_WAV, first.sample_rate)
    hop = first.sample_rate // first.fps
    energy = np.array([np.sqrt(np.mean(audio[i * hop:(i + 1) * hop] ** 2) + 1e-12)
                       for i in range(first.frame_count(len(audio)))])
    speech = energy > 0.1 * energy.max()
    photos = {p.stem: np.asarray(Image.open(p).convert("RGB")) for p in sample_photos()}
    rows, names = [], []
    gaps: dict[str, dict[str, list[float]]] = {}
    times = np.linspace(0, len(energy) - 1, 10).round().astype(int)[1:-1]
    for name, model in models.items():
        strip, gaps[name] = [], {}
        for stem, photo in photos.items():
            identity, _ = model.prepare(photo)
            lips = list(model.stream_lips(audio, identity))
            strip += [identity] + [lips[t] for t in times]
            g = np.array([inner_gap(f) for f in lips])
            gaps[name][stem] = [float(np.nanmean(g[speech[:len(g)]])), float(np.nanmean(g[~speech[:len(g)]]))]
        rows.append(np.concatenate(strip, axis=1))
        names.append(name)
    cv2.imwrite(f"{args.out}_photos.png", cv2.cvtColor(label(rows, names), cv2.COLOR_RGB2BGR))

    Path(f"{args.out}.json").write_text(json.dumps({"step": args.step, "limit": args.limit, "table": table,
                                                    "photo_inner_gap_speech_silence": gaps}, indent=1) + "\n")
    head = "| variant | LMD | LMD silent | SSIM | PSNR (dB) | CPBD | closure in silence |"
    lines = [head, "|---|---|---|---|---|---|---|"]
    for name, vals in table.items():
        cells = [f"{vals[k][0]:.3f} +- {vals[k][1]:.3f}" if k in vals else "-" for k in COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "| variant | " + " | ".join(f"{s} gap speech / silence (px)" for s in photos) + " |",
              "|---|" + "---|" * len(photos)]
    for name, per in gaps.items():
        lines.append(f"| {name} | " + " | ".join(f"{a:.2f} / {b:.2f}" for a, b in per.values()) + " |")
    Path(f"{args.out}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
