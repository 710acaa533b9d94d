"""`lipglance av-offset`: the paper's Fig. 4 study as a tool.

Per video: the Pearson correlation between audio-derivative energy (mean absolute change of
the log-mel between consecutive video frames) and the mean Farneback flow magnitude of the
lip crops, for lags -8..+8 frames. A negative best lag means the lips move before the sound.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from lipglance.config import AudioConfig, FlowConfig
from lipglance.data.cache import Cache
from lipglance.data.layouts import VIDEO_EXTS, Source
from lipglance.data.preprocess import PreprocessConfig, Skip, process_video
from lipglance.errors import UserError
from lipglance.nn.flow import farneback_flow

MAX_LAG = 8


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("av-offset", help="audio-visual lag per video (paper Fig. 4) and a histogram")
    p.add_argument("paths", nargs="+", help="video files, folders of videos, or glance caches")
    p.add_argument("--out", default="av_offset", help="output prefix: PREFIX.jsonl and PREFIX.png")
    p.set_defaults(func=run)


def audio_derivative_energy(mel: np.ndarray, mels_per_frame: int = 4) -> np.ndarray:
    """Log-mel [4T, M] -> [T-1]: mean |change| between consecutive video frames' mean spectra."""
    per_frame = mel.astype(np.float32).reshape(-1, mels_per_frame, mel.shape[1]).mean(1)
    return np.abs(np.diff(per_frame, axis=0)).mean(1)


def flow_magnitude(crops: np.ndarray) -> np.ndarray:
    """Lip crops [T, H, W, 3] -> [T-1] mean Farneback flow magnitude (pixels)."""
    cfg = FlowConfig()
    flow = farneback_flow(np.ascontiguousarray(crops), cfg) * cfg.div_flow
    return np.linalg.norm(flow, axis=1).mean(axis=(1, 2))


def lag_correlations(audio: np.ndarray, motion: np.ndarray, max_lag: int = MAX_LAG) -> np.ndarray:
    """Pearson r between audio[t] and motion[t + lag] for lag in -max_lag..max_lag (NaN if undefined)."""
    out = np.full(2 * max_lag + 1, np.nan)
    for j, lag in enumerate(range(-max_lag, max_lag + 1)):
        a = audio[max(0, -lag): len(audio) - max(0, lag)]
        m = motion[max(0, lag): len(motion) - max(0, -lag)]
        if len(a) > 3 and a.std() > 0 and m.std() > 0:
            out[j] = float(np.corrcoef(a, m)[0, 1])
    return out


def _clips(path: Path) -> Iterator[tuple[str, np.ndarray, np.ndarray]]:
    """(name, crops, mel) from a cache, a video file, or every video below a folder."""
    if (path / "cache.json").is_file():
        cache = Cache(path)
        for item in cache:
            yield item["id"], np.asarray(cache.crops(item)), np.asarray(cache.mel(item))
        return
    videos = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.suffix.lower() in VIDEO_EXTS)
    if not videos:
        raise UserError(f"{path}: no videos or cache found")
    cfg = PreprocessConfig(audio=AudioConfig())
    for v in videos:
        try:
            video = process_video(v.parent, Source(v.name, "", v.stem, "test"), cfg)
        except Skip as s:
            print(f"av-offset: skipped {v}: {s.reason} ({s.detail})", file=sys.stderr)
            continue
        yield str(v), video.crops, video.mel


def run(args: argparse.Namespace) -> int:
    rows = []
    for p in args.paths:
        for name, crops, mel in _clips(Path(p)):
            r = lag_correlations(audio_derivative_energy(mel), flow_magnitude(crops))
            if np.isnan(r).all():
                continue
            best = int(np.nanargmax(r)) - MAX_LAG
            rows.append({"video": name, "best_lag": best, "best_r": round(float(np.nanmax(r)), 4),
                         "r_by_lag": [None if np.isnan(x) else round(float(x), 4) for x in r]})
    if not rows:
        raise UserError("no video gave a correlation (too short or static)")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    lags = np.array([r["best_lag"] for r in rows])
    _histogram(lags, out.with_suffix(".png"))
    print(f"{len(rows)} videos: best lag median {np.median(lags):+.0f} frames (mean {lags.mean():+.2f}, "
          f"negative = lips lead); wrote {out.with_suffix('.jsonl')} and {out.with_suffix('.png')}")
    return 0


def _histogram(lags: np.ndarray, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.2), dpi=100)
    ax.hist(lags, bins=[b - 0.5 for b in range(-MAX_LAG, MAX_LAG + 2)], color="#4477aa", edgecolor="white")
    ax.set_xlabel("best lag (frames at 25 fps; negative = lips lead the audio)")
    ax.set_ylabel("videos")
    ax.set_title(f"audio-visual offset over {len(lags)} videos")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


