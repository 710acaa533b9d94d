"""CPU cost of the mouth's inside, the blink and the dub's per-frame renderer (issue 25), in CPU ms per frame.

    .venv/bin/python benchmarks/bench_mouth.py [--out docs/bench/mouth_render.json] [--label after]

Measured with the process's CPU clock (time.process_time, one thread: cv2.setNumThreads(1)), so a machine busy with
other work changes the numbers little; best of 3 passes. Cases: the shape renderer's frame (`ShapeWarp.frame`) of
the 512x512 astronaut and of Grace Hopper at 100 openings spread over 0..0.3 mouth widths (the opening's inside is
drawn or her own teeth); both eyes shut (`LivingFace.apply`, no head motion); the dub's renderer
(`DubRenderer.frame`) on a 1280x720 frame with the astronaut's head at the scale benchmarks/bench_dub.py uses.
Run it on an older checkout (PYTHONPATH) for the before numbers: it uses only names every release since the
subpackage layout has.
"""

from __future__ import annotations

import argparse
import inspect
import json
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import cv2
import numpy as np
import skimage.data

from lipglance.inference.faces.find import find_faces
from lipglance.inference.model.lipsync import LipSync
from lipglance.inference.render.living import LivingFace, Move
from lipglance.inference.render.shape import ShapeWarp
from lipglance.inference.video.dub_render import DubRenderer
from lipglance.io.image import read_image
from lipglance.samples import sample_photos
from lipglance.shape import opening_shape

OPENINGS = np.linspace(0.0, 0.3, 100)
SHUT = Move(1.0, 0.0, 0.0, 0.0)  # both lids closed, no head motion


def cpu_ms(run: Callable[[], object], frames: int, passes: int = 3) -> float:
    """Best-of-`passes` CPU milliseconds per frame of `run` (which renders `frames` frames)."""
    run()
    best = float("inf")
    for _ in range(passes):
        t0 = time.process_time()
        run()
        best = min(best, (time.process_time() - t0) / frames * 1000)
    return best


def _frames(warp: ShapeWarp) -> None:
    for o in OPENINGS:
        warp.frame(float(o))


def _shut(living: LivingFace, photo: np.ndarray) -> None:
    for _ in range(50):
        living.apply(photo.copy(), SHUT)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=None, help="json to write the numbers to")
    p.add_argument("--label", default="now")
    args = p.parse_args()
    cv2.setNumThreads(1)
    model = LipSync.from_pretrained()
    rows: dict[str, float] = {}
    for path in sample_photos():
        photo = read_image(str(path))
        warp = model.prepare_warp(photo, 0, ShapeWarp)
        assert isinstance(warp, ShapeWarp)
        rows[f"shape frame, {path.stem} ({photo.shape[1]}x{photo.shape[0]})"] = cpu_ms(
            partial(_frames, warp), len(OPENINGS))
        points = find_faces(photo)[0][0].points
        if "image" in inspect.signature(LivingFace.for_face).parameters:
            living = LivingFace.for_face(points, photo)
        else:  # before issue 25 it took the photo's shape
            living = LivingFace.for_face(points, photo.shape)  # type: ignore[arg-type]
        rows[f"eyes shut, {path.stem} ({len(living.eyes)} eyes)"] = cpu_ms(partial(_shut, living, photo), 50)
    canvas = np.full((720, 1280, 3), 96, np.uint8)
    head = cv2.resize(skimage.data.astronaut()[:320, 80:400], None, fx=1.9, fy=1.9, interpolation=cv2.INTER_LINEAR)
    canvas[40:40 + head.shape[0], 300:300 + head.shape[1]] = head[: 720 - 40]
    points = find_faces(canvas)[0][0].points
    shapes = [opening_shape(float(o)) for o in OPENINGS]

    def dub() -> None:
        renderer = DubRenderer()
        for s in shapes:
            renderer.frame(canvas, points, s)

    rows["dub renderer frame, 1280x720"] = cpu_ms(dub, len(shapes))
    print(f"| case ({args.label}) | CPU ms per frame |")
    print("|---|---|")
    for name, ms in rows.items():
        print(f"| {name} | {ms:.2f} |")
    if args.out:
        out = Path(args.out)
        data = json.loads(out.read_text()) if out.is_file() else {}
        data[args.label] = {k: round(v, 3) for k, v in rows.items()}
        out.write_text(json.dumps(data, indent=1) + "\n")
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
