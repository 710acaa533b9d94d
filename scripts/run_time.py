"""Training time of a run, from the stats.jsonl its training stage wrote (lipglance/train/logging.py).

    .venv/bin/python scripts/run_time.py runs/open/shape --batch-size 16 > docs/results/shape_stage_time.json

Each record's "time" is seconds since that sitting started, so a resumed run starts again from 0: the
sittings are found where the time goes back, and the training time is the sum of their last times (the
time between sittings is not counted). Steps/s is "speed/samples_per_s" over the batch size.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("stage", type=Path, help="a training stage's folder (with stats.jsonl)")
    p.add_argument("--batch-size", type=int, required=True)
    args = p.parse_args()
    rows = [json.loads(line) for line in (args.stage / "stats.jsonl").read_text().splitlines() if line.strip()]
    sittings: list[dict[str, float]] = []
    for prev, row in zip([None, *rows[:-1]], rows, strict=True):
        if prev is None or row["time"] < prev["time"]:
            sittings.append({"first_step": row["step"], "last_step": row["step"], "seconds": row["time"]})
        sittings[-1].update(last_step=row["step"], seconds=row["time"])
    speeds = [r["speed/samples_per_s"] / args.batch_size for r in rows if "speed/samples_per_s" in r]
    total = sum(s["seconds"] for s in sittings)
    print(json.dumps({"stage": str(args.stage), "steps": rows[-1]["step"], "batch_size": args.batch_size,
                      "sittings": sittings, "seconds": round(total, 1), "minutes": round(total / 60, 1),
                      "median_steps_per_s": round(statistics.median(speeds), 1),
                      "steps_per_s_quartiles": [round(q, 1) for q in statistics.quantiles(speeds, n=4)]},
                     indent=1))


if __name__ == "__main__":
    main()
