"""Corpus generation speed: clips/s of `lipglance synth --form cache` and the time for 20,000 clips.

    .venv/bin/python benchmarks/bench_synth.py [--identities 8] [--sentences 25] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from lipglance.cli import main as glance


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--identities", type=int, default=8)
    p.add_argument("--sentences", type=int, default=25)
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = p.parse_args()
    out = Path(tempfile.mkdtemp(prefix="lipglance-bench-synth-"))
    try:
        t0 = time.perf_counter()
        glance(["synth", str(out / "c"), "--identities", str(args.identities), "--sentences-per-identity",
                str(args.sentences), "--workers", str(args.workers)])
        dt = time.perf_counter() - t0
        n = args.identities * args.sentences
        clips = sum(1 for _ in open(out / "c" / "manifest.jsonl"))  # noqa: SIM115
        size = sum(f.stat().st_size for f in (out / "c").rglob("*") if f.is_file())
        print("\n| clips | workers | seconds | clips/s | 20,000 clips | cache MB per 1,000 clips |")
        print("|---|---|---|---|---|---|")
        print(f"| {n} | {args.workers} | {dt:.1f} | {n / dt:.2f} | {20000 / (n / dt) / 60:.0f} min | "
              f"{size / 1e6 / clips * 1000:.0f} |")
    finally:
        shutil.rmtree(out)


if __name__ == "__main__":
    main()
