"""How well the opening probe reads the inner-lip opening: fit on a cache's training split, scored on its test split.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python scripts/probe_fit.py --data data/corpus > docs/results/probe_fit.json

`lipglance.motion.OpeningProbe` (ridge regression from the grey mouth region to the landmark inner-lip opening) is
the instrument of the silence closure (`lipglance/eval/silence.py`) and the reader of the motion probe
(`lipglance motion`). Printed as json: R^2 on every test frame, and the mean reading of the closed test frames
(truth below lipglance.eval.silence.CLOSED) and of the clearly open ones (truth > 3 px) beside their true mean.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from lipglance.data.cache import Cache
from lipglance.eval.silence import CLOSED
from lipglance.motion import OpeningProbe
from lipglance.shape import inner_opening


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="a synthetic cache (lipglance synth)")
    p.add_argument("--split", default="test", help="the split it is scored on (fitted on train)")
    args = p.parse_args()
    t0 = time.perf_counter()
    cache = Cache(args.data)
    probe = OpeningProbe.fit(cache)
    truth, read = [], []
    for item in cache.split(args.split):
        crops = np.asarray(cache.crops(item))
        truth.append(inner_opening(np.asarray(cache.landmarks(item), np.float32))[:len(crops)])
        read.append(probe(crops[:len(truth[-1])]))
    y, r = np.concatenate(truth).astype(np.float64), np.concatenate(read).astype(np.float64)
    closed, wide = y < CLOSED, y > 3.0
    out = {"data": args.data, "fitted_on": "train", "scored_on": args.split, "frames": int(len(y)),
           "clips": len(truth), "r2": round(float(1 - ((y - r) ** 2).sum() / ((y - y.mean()) ** 2).sum()), 4),
           "closed_frames": int(closed.sum()), "closed_read_px": round(float(r[closed].mean()), 3),
           "open_frames": int(wide.sum()), "open_read_px": round(float(r[wide].mean()), 3),
           "open_truth_px": round(float(y[wide].mean()), 3), "seconds": round(time.perf_counter() - t0, 1)}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
