"""The living photo's cost: its per-frame warp alone, and `LipSync.stream` end to end with and without it.

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/bench_living.py [--seconds 20] [--weights W]

On the held-out photos (lipglance.samples), 2 torch threads: the one-off setup (the warps' grids and masks, from
the face glance found), the per-frame cost of `LivingFace.apply` (every frame: the head's remap; blink frames
also the lids'), and frames per second of the bundled model's default photo renderer with `still` and without
(no mp4 encoding, so that the difference shows).
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np
import torch

from lipglance.inference.faces.find import find_faces
from lipglance.inference.model.lipsync import LipSync
from lipglance.inference.render.living import LivingFace
from lipglance.io.audio import load_audio
from lipglance.io.image import read_image
from lipglance.samples import sample_photos

SAMPLE_WAV = "lipglance/assets/sample.wav"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--weights", default=None)
    args = p.parse_args()
    torch.set_num_threads(2)
    model = LipSync.from_pretrained(args.weights)
    sample = load_audio(SAMPLE_WAV, model.sample_rate)
    speech = np.tile(sample, int(np.ceil(args.seconds * model.sample_rate / len(sample))))
    speech = speech[: int(args.seconds * model.sample_rate)]
    print("| photo | setup ms | warp ms/frame (mean, blink frames) | frames/s still | frames/s living |")
    print("|---|---|---|---|---|")
    for path in sample_photos():
        photo = read_image(str(path))
        photo = photo[: photo.shape[0] // 2 * 2, : photo.shape[1] // 2 * 2]
        points = find_faces(photo)[0][0].points
        t0 = time.perf_counter()
        living = LivingFace.for_face(points, photo)
        setup = (time.perf_counter() - t0) * 1e3
        moves = list(itertools.islice(living.moves(speech, model.sample_rate, model.fps), model.frame_count(
            len(speech))))
        costs = []
        for move in moves:
            frame = photo.copy()
            t0 = time.perf_counter()
            living.apply(frame, move)
            costs.append(time.perf_counter() - t0)
        ms = np.array(costs) * 1e3
        blink = np.array([m.closure > 0 for m in moves])
        rates = []
        for still in (True, False):
            t0 = time.perf_counter()
            n = sum(1 for _ in model.stream(speech, photo, still=still))
            rates.append(n / (time.perf_counter() - t0))
        print(f"| {path.name} {photo.shape[1]}x{photo.shape[0]} | {setup:.1f} | {ms.mean():.2f} "
              f"({ms[blink].mean():.2f}) | {rates[0]:.0f} | {rates[1]:.0f} |", flush=True)


if __name__ == "__main__":
    main()
