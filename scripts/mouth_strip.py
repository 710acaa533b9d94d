"""The mouth's strip: the inside of the mouth at growing openings, and the eyes across a blink, on real photos.

    .venv/bin/python scripts/mouth_strip.py --out docs/mouth_strip.png [--weights W]

For each held-out photo (lipglance.samples, plus Debian opencv-doc's messi5.jpg and the neutral mouth of
benchmarks/bench_face_motion.py when installed): the photo's mouth
as the default (shape) renderer prepares it (`LipSync.prepare_warp`), then `ShapeWarp.frame` at openings of 0
(closed) to 0.35 mouth widths (lipglance.shape.opening_shape), each cropped around the mouth and enlarged; then
both eyes at blink closures 0.5 and 1 (lipglance.inference.render.living.LivingFace), enlarged. A last row dubs a
frame of the astronaut (her head as a video frame) with the dub's renderer (lipglance.inference.video.dub_render),
whose library holds that frame's own open mouth: openings near hers take her own teeth, the others the drawn inside.
Nothing here is random, so two runs give the same picture.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
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

OPENINGS = (0.0, 0.05, 0.1, 0.15, 0.22, 0.3, 0.35)
CLOSURES = (0.5, 1.0)
MESSI = Path("/usr/share/doc/opencv-doc/examples/data/messi5.jpg")
NEUTRAL = Path("/usr/share/doc/opencv-doc/opencv4/html/12.jpg")  # Debian opencv-doc: a closed neutral mouth


def photos() -> list[tuple[str, np.ndarray]]:
    """(name, RGB) of the sample photos, and when Debian's opencv-doc is installed its messi5.jpg and the closed
    neutral mouth of benchmarks/bench_face_motion.py (html/12.jpg's first panel)."""
    out = [(p.stem, read_image(str(p))) for p in [*sample_photos(), *([MESSI] if MESSI.is_file() else [])]]
    if NEUTRAL.is_file():
        panel = np.asarray(cv2.imread(str(NEUTRAL)))[20:468, :510]  # as bench_face_motion.photos crops it
        out.append(("neutral", cv2.cvtColor(panel, cv2.COLOR_BGR2RGB)))
    return out


def crop(image: np.ndarray, centre: np.ndarray, half: float, size: int = 192) -> np.ndarray:
    """A square of side 2 * `half` around `centre`, resized to `size` px (nearest, so pixels stay visible)."""
    x0, y0 = (int(round(c - half)) for c in centre)
    side = int(round(2 * half))
    pad = np.pad(image, ((side, side), (side, side), (0, 0)), mode="edge")
    part = pad[y0 + side: y0 + 2 * side, x0 + side: x0 + 2 * side]
    return cv2.resize(part, (size, size), interpolation=cv2.INTER_NEAREST)


def dub_row(axes: np.ndarray) -> None:
    """The astronaut's head as a video frame, dubbed at each opening (see the module doc)."""
    head = np.ascontiguousarray(skimage.data.astronaut()[:320, 80:400])
    points = find_faces(head)[0][0].points
    mouth = points[48:68]
    width = float(np.linalg.norm(mouth[6] - mouth[0]))
    renderer = DubRenderer()
    for col, opening in enumerate(OPENINGS):
        frame = renderer.frame(head, points, opening_shape(opening))
        own = renderer.mouths.chosen is not None and opening > 0
        axes[col].imshow(crop(frame, (mouth[0] + mouth[6]) / 2 + [0, 0.15 * width], 0.75 * width))
        axes[col].set_title(f"dub {opening:.2f} {'own mouth' if own else 'drawn'}", fontsize=8)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="docs/mouth_strip.png")
    p.add_argument("--weights", default=None)
    args = p.parse_args()
    model = LipSync.from_pretrained(args.weights)
    paths = photos()
    cols = len(OPENINGS) + 2 * len(CLOSURES)
    fig, axes = plt.subplots(len(paths) + 1, cols, figsize=(1.7 * cols, 1.9 * (len(paths) + 1)), squeeze=False)
    for row, (name, photo) in enumerate(paths):
        warp = model.prepare_warp(photo, 0, ShapeWarp)
        assert isinstance(warp, ShapeWarp)
        centre = (warp.points[0] + warp.points[6]) / 2
        for col, opening in enumerate(OPENINGS):
            ax = axes[row, col]
            ax.imshow(crop(warp.frame(opening), centre + [0, 0.15 * warp.width], 0.75 * warp.width))
            ax.set_title(f"{name[:12]} open {opening:.2f}" if col == 0 else f"open {opening:.2f}", fontsize=8)
        face = find_faces(photo)[0][0]
        living = LivingFace.for_face(face.points, photo)
        for k, c in enumerate(CLOSURES):
            frame = living.apply(photo.copy(), Move(c, 0.0, 0.0, 0.0))
            for e, eye in enumerate((face.points[36:42], face.points[42:48])):
                ax = axes[row, len(OPENINGS) + 2 * k + e]
                half = 0.9 * float(np.linalg.norm(eye[3] - eye[0]))
                ax.imshow(crop(frame, eye.mean(0) - [0, 0.2 * half], half))
                ax.set_title(f"blink {c:.1f} {'right' if e else 'left'}", fontsize=8)
    dub_row(axes[len(paths)])
    for ax in axes.flat:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(args.out, dpi=90)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
