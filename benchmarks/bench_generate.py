"""End-to-end generation speed per preset (CPU) and peak memory for a long audio.

    .venv/bin/python benchmarks/bench_generate.py [--seconds 20] [--long-minutes 10]

Speed: `lipglance generate`'s path (audio in memory -> windows -> frames -> H.264/AAC mp4) on the
astronaut photo with paste-back and lips-only, untrained weights of each preset (speed does
not depend on the weights), and the bundled model with each photo renderer it can drive (shape:
the default for a photo when the model has a shape head; warp). Memory: a child process generates a
long audio to mp4 with the bundled model and its default renderer, and reports its peak RSS (ru_maxrss).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import skimage.data
import torch

from lipglance.inference.model.lipsync import LipSync

LONG = """
import sys, resource, numpy as np, skimage.data
from lipglance.inference.model.lipsync import LipSync
m = LipSync.from_pretrained(sys.argv[3] if len(sys.argv) > 3 else None)
audio = (0.05 * np.random.default_rng(0).standard_normal(int(float(sys.argv[1]) * 60 * 16000))).astype(np.float32)
LipSync.save(sys.argv[2], m.stream(audio, skimage.data.astronaut()), audio, 16000)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--long-minutes", type=float, default=10.0)
    p.add_argument("--presets", nargs="+", default=["tiny", "small", "paper"])
    p.add_argument("--weights", default=None, help="a generator checkpoint instead of the bundled model")
    args = p.parse_args()
    torch.set_num_threads(2)
    photo = skimage.data.astronaut()
    audio = (0.05 * np.random.default_rng(0).standard_normal(int(args.seconds * 16000))).astype(np.float32)
    print(f"| preset | output | frames/s (2 threads, {args.seconds:.0f} s audio, incl. mp4 encoding) | x real time |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as d:
        for preset in args.presets:
            model = LipSync.untrained(preset)
            for lips_only in (True, False):
                out = Path(d) / "o.mp4"
                t0 = time.perf_counter()
                n = LipSync.save(out, model.stream(audio, photo, lips_only=lips_only), audio, 16000)
                fps = n / (time.perf_counter() - t0)
                kind = "64x64 lips" if lips_only else "512x512 photo, pasted"
                print(f"| {preset} | {kind} | {fps:.0f} | {fps / 25:.1f} |", flush=True)
        bundled = LipSync.from_pretrained(args.weights)
        renderers = [r for r, ok in (("shape", bundled.generator.shape_head is not None),
                                     ("warp", bundled.motion is not None)) if ok]
        runs = [(r, lips, True) for r in renderers for lips in (True, False)]
        if bundled.track_frames():  # the shape renderer once more with the head's own gate (as `lipglance live`)
            runs += [("shape", lips, False) for lips in (True, False)]
        for renderer, lips_only, track in runs:
            bundled.track = track
            t0 = time.perf_counter()
            n = LipSync.save(Path(d) / "o.mp4", bundled.stream(audio, photo, lips_only=lips_only,
                                                               renderer=renderer), audio, 16000)
            fps = n / (time.perf_counter() - t0)
            kind = f"64x64 lips of the {renderer}-rendered photo" if lips_only else \
                f"512x512 photo, {renderer} renderer"
            label = "tiny (bundled)" if track or renderer != "shape" else "tiny (bundled, gate, no seal track)"
            print(f"| {label} | {kind} | {fps:.0f} | {fps / 25:.1f} |", flush=True)
        bundled.track = True
        if args.long_minutes > 0:
            out = Path(d) / "long.mp4"
            t0 = time.perf_counter()
            r = subprocess.run([sys.executable, "-c", LONG, str(args.long_minutes), str(out),
                                *([args.weights] if args.weights else [])], capture_output=True, text=True, check=True)
            kb = int(r.stdout.strip().splitlines()[-1])
            print(f"\n{args.long_minutes:.0f}-minute audio, bundled tiny model, default renderer: "
                  f"peak RSS {kb / 1024:.0f} MB, {time.perf_counter() - t0:.0f} s, "
                  f"output {out.stat().st_size / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
