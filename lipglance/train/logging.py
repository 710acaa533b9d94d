"""Run logging on rank 0: TensorBoard scalars and images, stats.jsonl, metrics.jsonl, sample PNGs."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from lipglance.data.dataset import LipClipDataset, collate
from lipglance.io.outputs import atomic_write
from lipglance.model import GlanceNetworks
from lipglance.nn.generator import Generator
from lipglance.pixels import to_u8


def sample_grid(real: torch.Tensor, fake: torch.Tensor, frames: tuple[int, ...] = (0, 4, 8, 12, 15)) -> np.ndarray:
    """uint8 RGB grid: per clip, a row of real frames above a row of generated frames."""
    def to_img(v: torch.Tensor) -> np.ndarray:
        return to_u8(v).permute(1, 2, 0).cpu().numpy()
    rows = []
    for r, f in zip(real, fake, strict=True):
        rows.append(np.hstack([to_img(r[:, t]) for t in frames]))
        rows.append(np.hstack([to_img(f[:, t]) for t in frames]))
    return np.vstack(rows)


def keep_rows_upto(path: Path, step: int) -> None:
    """Drop the rows of a jsonl log past `step` (and a torn last line): a run resumed from a checkpoint at
    `step` redoes those steps and logs them again, so each step keeps one row."""
    if not path.is_file():
        return
    kept = []
    for line in path.read_text(errors="replace").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict) and isinstance(row.get("step"), int) and row["step"] <= step:
            kept.append(line + "\n")
    atomic_write(path, "".join(kept).encode())


class RunLogger:
    def __init__(self, folder: Path, main: bool, resume: bool, start: int = 0) -> None:
        """`start`: the step a resumed run continues from; logged rows past it are dropped (they are redone)."""
        self.folder, self.main = folder, main
        self.writer: Any = None
        if main:
            from torch.utils.tensorboard import SummaryWriter  # before anything is written: the `train` extra

            folder.mkdir(parents=True, exist_ok=True)
            if resume:
                for name in ("stats.jsonl", "metrics.jsonl"):
                    keep_rows_upto(folder / name, start)
            self.writer = SummaryWriter(str(folder / "tb"), purge_step=start + 1 if resume else None)
            self.stats = (folder / "stats.jsonl").open("a" if resume else "w")
            self.metrics_file = (folder / "metrics.jsonl").open("a" if resume else "w")
        self.t0 = time.time()

    def scalars(self, step: int, values: dict[str, float]) -> None:
        if not self.main:
            return
        for k, v in values.items():
            self.writer.add_scalar(k, v, step)
        self.stats.write(json.dumps({"step": step, "time": round(time.time() - self.t0, 2), **values}) + "\n")
        self.stats.flush()

    def metrics(self, step: int, split: str, values: dict[str, float]) -> None:
        if not self.main:
            return
        for k, v in values.items():
            self.writer.add_scalar(f"{split}/{k}", v, step)
        self.metrics_file.write(json.dumps({"step": step, "split": split, **values}) + "\n")
        self.metrics_file.flush()

    def text(self, tag: str, text: str, step: int) -> None:
        if self.main:
            self.writer.add_text(tag, text, step)

    @torch.no_grad()
    def samples(self, step: int, nets: GlanceNetworks, ds: LipClipDataset, stage: str, device: torch.device,
                generator: Generator | None = None) -> None:
        """Real over generated frames of four validation windows; a GAN run's `generator` is the network it
        exports (the EMA generator when it keeps one; default nets.generator)."""
        if not self.main or len(ds) == 0:
            return
        picks = [ds[i] for i in np.linspace(0, len(ds) - 1, min(4, len(ds))).astype(int)]
        batch = collate(picks).to(device)
        gen = generator if generator is not None else nets.generator
        module = gen if stage == "gan" else nets.autoencoder
        assert module is not None
        was = module.training
        module.eval()
        if stage == "gan":
            fake = gen(batch.mel, batch.identity)
        else:
            b, c, t, h, w = batch.video.shape
            frames = batch.video.transpose(1, 2).reshape(b * t, c, h, w)
            fake = module(frames).reshape(b, t, c, h, w).transpose(1, 2)
        module.train(was)
        grid = sample_grid(batch.video, fake)
        self.writer.add_image("samples/real_over_generated", grid, step, dataformats="HWC")
        (self.folder / "samples").mkdir(exist_ok=True)
        cv2.imwrite(str(self.folder / "samples" / f"step-{step:07d}.png"), cv2.cvtColor(grid, cv2.COLOR_RGB2BGR))

    def close(self) -> None:
        if self.main:
            self.writer.close()
            self.stats.close()
            self.metrics_file.close()
