"""How long `lipglance info` takes and how much memory it holds, each run in a fresh process.

    .venv/bin/python benchmarks/bench_info.py [--runs 5] [--out docs/bench/info.json]

Prints the median and worst wall time and the largest peak RSS, and writes them as JSON (issue 27: well under
2 s; before the cost table it built every preset: 9.2 s and 930 MB).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one_run() -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one `python -m lipglance info`."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "lipglance", "info"], stdout=subprocess.DEVNULL, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("lipglance info failed")
    return wall, usage.ru_maxrss / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "bench" / "info.json")
    args = ap.parse_args()
    runs = [one_run() for _ in range(args.runs)]
    walls = [w for w, _ in runs]
    result = {"command": "python -m lipglance info", "runs": args.runs,
              "median_s": round(statistics.median(walls), 3), "max_s": round(max(walls), 3),
              "peak_rss_mb": round(max(m for _, m in runs), 1), "load_average": os.getloadavg()[0],
              "cpus": os.cpu_count()}
    print(json.dumps(result))
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
