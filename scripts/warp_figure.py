"""Figures of the warp renderer: its motion against the truth, and the real photos it animates.

    .venv/bin/python scripts/warp_figure.py --data data/corpus --out docs/warp [--weights W]

writes OUT_motion.png (the relative mouth opening the generator makes on its proxy face, driven by
held-out test clips' audio, against the clips' true opening; and on the bundled sentence with its
waveform) and OUT_photos.png (the real held-out photos at their own resolution: the photo, then
frames of `lipglance generate` on the bundled held-out-voice sentence, then two frames of silence).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from figures import label  # scripts/figures.py
from PIL import Image

from lipglance.data.cache import Cache
from lipglance.data.dataset import LipClipDataset
from lipglance.inference.model.lipsync import LipSync
from lipglance.io.audio import load_audio
from lipglance.motion_cli import window_openings
from lipglance.samples import sample_photos

SAMPLE_WAV = Path(__file__).resolve().parents[1] / "lipglance" / "assets" / "sample.wav"


def clip_motion(model: LipSync, ds: LipClipDataset, item: int) -> tuple[np.ndarray, np.ndarray]:
    """(generated, true) relative opening over one clip, from its consecutive non-overlapping windows."""
    assert model.motion is not None
    idx = [i for i, (it, start) in enumerate(ds.windows) if it == item and start % ds.frames == 0]
    return window_openings(model, model.motion, ds, idx)


def motion_plot(model: LipSync, cache: Cache, out: str) -> None:
    ds = LipClipDataset(cache, "test", train=False, stats=model.audio_stats)
    picks = [int(i) for i in np.linspace(0, len(ds.items) - 1, 3).round()]
    fig, axes = plt.subplots(len(picks) + 1, 1, figsize=(9, 2.1 * (len(picks) + 1)), constrained_layout=True)
    for ax, item in zip(axes, picks, strict=False):
        made, true = clip_motion(model, ds, item)
        t = np.arange(len(made)) / model.fps
        ax.plot(t, true, color="0.3", label="truth (landmarks)")
        ax.plot(t, made, color="tab:red", label="generated on the proxy")
        ax.set_title(f"test clip {ds.items[item]['id']} (held-out identity and voice), "
                     f"r = {np.corrcoef(made, true)[0, 1]:.2f}", fontsize=9)
        ax.set_ylabel("opening / width")
        ax.legend(fontsize=7, loc="upper right")
    audio = load_audio(SAMPLE_WAV, model.sample_rate)
    made = np.array(list(model.stream_openings(audio)))
    ax = axes[-1]
    ax.plot(np.arange(len(audio)) / model.sample_rate, audio / np.abs(audio).max() * 0.2 - 0.25, color="0.7", lw=0.5)
    ax.plot(np.arange(len(made)) / model.fps, made, color="tab:red")
    ax.set_title("the bundled sentence (held-out voice): waveform and generated opening", fontsize=9)
    ax.set_xlabel("s")
    fig.savefig(f"{out}_motion.png", dpi=110)


def photo_strip(model: LipSync, out: str, size: int = 112) -> None:
    rate = model.sample_rate
    speech, silence = load_audio(SAMPLE_WAV, rate), np.zeros(2 * rate, np.float32)
    rows, names = [], []
    for path in sample_photos():
        photo = np.asarray(Image.open(path).convert("RGB"))
        warp = model.prepare_warp(photo)
        cx, cy = warp.points.mean(0)
        half = int(0.9 * np.ptp(warp.points[:, 0]))

        def view(frame: np.ndarray, cx: float = cx, cy: float = cy, half: int = half) -> np.ndarray:
            y, x = int(cy) - half, int(cx) - half
            return cv2.resize(np.ascontiguousarray(frame[y:y + 2 * half, x:x + 2 * half]), (size, size),
                              interpolation=cv2.INTER_AREA)

        talk = list(model.stream(speech, photo))
        quiet = list(model.stream(silence, photo))
        picks = [talk[int(t)] for t in np.linspace(6, len(talk) - 6, 10)] + [quiet[10], quiet[40]]
        rows.append(np.concatenate([view(warp.image)] + [view(f) for f in picks], axis=1))
        names.append(path.stem)
    Image.fromarray(label(rows, names, width=120)).save(f"{out}_photos.png")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--weights")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    model = LipSync.from_pretrained(args.weights)
    motion_plot(model, Cache(args.data), args.out)
    photo_strip(model, args.out)


if __name__ == "__main__":
    main()
