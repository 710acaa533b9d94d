"""Preprocessing throughput on one core: video frames/s for GRID-size (360x288) input.

    .venv/bin/python benchmarks/bench_preprocess.py [--videos 4] [--repeat 3]

Makes GRID-layout videos with `lipglance synth --form video` (a real face photo speaking), then
times `process_video` (decode twice, track landmarks, crop, log-mel) in this one process
pinned to one CPU core.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import cv2  # noqa: E402
import torch  # noqa: E402

from lipglance.cli import main as glance  # noqa: E402
from lipglance.data.layouts import list_sources  # noqa: E402
from lipglance.data.preprocess import PreprocessConfig, process_video  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--videos", type=int, default=4)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    with tempfile.TemporaryDirectory(prefix="lipglance-bench-pp-") as d:
        src = Path(d)
        glance(["synth", str(src), "--identities", "1", "--sentences-per-identity", str(args.videos),
                "--form", "video", "--layout", "grid", "--workers", "2"])
        sources = list_sources(src, "grid")
        cfg = PreprocessConfig()
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, whatever threads libraries start
        process_video(src, sources[0], cfg)  # warm-up: load dlib models
        best = 0.0
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            frames = sum(process_video(src, s, cfg).crops.shape[0] for s in sources)
            best = max(best, frames / (time.perf_counter() - t0))
        print(f"\n| input | videos | frames | frames/s (1 core, best of {args.repeat}) |")
        print("|---|---|---|---|")
        print(f"| 360x288 mpg | {len(sources)} | {frames} | {best:.0f} |")


if __name__ == "__main__":
    main()
