"""The living photo's strip: frames across a blink on the real photos, and dlib's eye aspect ratio over ~10 s.

    .venv/bin/python scripts/living_strip.py --out docs/living_strip.png [--seed 0] [--weights W]

For each held-out photo (lipglance.samples): `LipSync.generate` on the bundled sentence three times over (~10 s),
the living face on (seed 0) and off (`still`); a row of seven frames around the first blink (the upper face, at the
photo's resolution, enlarged), each titled with its frame number and the eye aspect ratio dlib measures on it,
then a trace of that ratio over every frame, and of the head's displacement at the nose tip: as the sway moves it
(lipglance.inference.render.head) and as dlib measures it (points 27-35, living minus still, median; dlib gives
whole pixels). Prints
the numbers the README quotes.
"""

from __future__ import annotations

import argparse
import itertools

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from lipglance.face import landmarks
from lipglance.inference.faces.find import find_faces
from lipglance.inference.model.lipsync import LipSync
from lipglance.inference.render.blink import closures
from lipglance.inference.render.head import NECK
from lipglance.inference.render.living import LivingFace
from lipglance.io.audio import load_audio
from lipglance.io.image import read_image
from lipglance.samples import sample_photos

SAMPLE_WAV = "lipglance/assets/sample.wav"


def ear(p: np.ndarray) -> float:
    """Eye aspect ratio of 68 landmarks, both eyes averaged."""
    return float(np.mean([(np.linalg.norm(q[1] - q[5]) + np.linalg.norm(q[2] - q[4])) /
                          (2 * np.linalg.norm(q[0] - q[3])) for q in (p[36:42], p[42:48])]))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="docs/living_strip.png")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--weights", default=None)
    args = p.parse_args()
    model = LipSync.from_pretrained(args.weights)
    speech = np.tile(load_audio(SAMPLE_WAV, model.sample_rate), 3)
    photos = sample_photos()
    fig = plt.figure(figsize=(14, 3.3 * len(photos)))
    grid = fig.add_gridspec(2 * len(photos), 7, height_ratios=[1.2, 1] * len(photos))
    shut = np.array(list(itertools.islice(closures(args.seed, model.fps), model.frame_count(len(speech)))))
    first = int(np.argmax(shut >= 1.0))
    for row, path in enumerate(photos):
        photo = read_image(str(path))
        photo = photo[: photo.shape[0] // 2 * 2, : photo.shape[1] // 2 * 2]
        face = find_faces(photo)[0][0]
        live = model.generate(speech, photo, seed=args.seed)
        still = model.generate(speech, photo, still=True)
        marks = np.stack([landmarks(f, face.box) for f in live])
        still_marks = np.stack([landmarks(f, face.box) for f in still])
        ears = np.array([ear(m) for m in marks])
        nose = np.median(np.linalg.norm(marks[:, 27:36] - still_marks[:, 27:36], axis=2), axis=1)
        pts = face.points
        iod = float(np.linalg.norm(pts[36:42].mean(0) - pts[42:48].mean(0)))
        x0, x1 = int(pts[17:27, 0].min() - 0.2 * iod), int(pts[17:27, 0].max() + 0.2 * iod)
        y0, y1 = int(pts[17:27, 1].min() - 0.2 * iod), int(pts[33, 1] + 0.1 * iod)
        living = LivingFace.for_face(pts, photo)
        pivot = pts[8] + np.array([0, NECK * iod])
        sway = [float(np.hypot(*(_rotated(pts[30] - pivot, m.roll) + pivot + [m.dx, m.dy] - pts[30])))
                for m in itertools.islice(living.moves(speech, model.sample_rate, model.fps, args.seed), len(live))]
        base = ear(pts)
        dips = int(np.sum((ears[1:] < 0.75 * base) & (ears[:-1] >= 0.75 * base)))
        print(f"{path.name}: photo EAR {base:.3f}, min {ears.min():.3f}, {dips} blink(s) seen by dlib in "
              f"{len(live) / model.fps:.1f} s; head displacement at the nose: sway max {max(sway):.2f} px, "
              f"mean {np.mean(sway):.2f}; dlib max {nose.max():.2f} px, mean {nose.mean():.2f} (IOD {iod:.0f} px)")
        for col, k in enumerate(range(first - 3, first + 4)):
            ax = fig.add_subplot(grid[2 * row, col])
            ax.imshow(live[k][y0:y1, x0:x1], interpolation="nearest")
            ax.set_title(f"frame {k}  EAR {ears[k]:.2f}", fontsize=9)
            ax.axis("off")
        ax = fig.add_subplot(grid[2 * row + 1, :])
        t = np.arange(len(ears)) / model.fps
        ax.plot(t, ears, label="eye aspect ratio (dlib, output frames)")
        ax.axhline(0.75 * base, color="grey", ls=":", lw=1, label="blink threshold (0.75 x the photo's)")
        ax.set_ylabel("EAR")
        ax2 = ax.twinx()
        ax2.plot(t, sway, color="tab:orange", lw=1, label="head displacement at the nose tip, px (the sway)")
        ax2.plot(t, nose, ".", color="tab:red", ms=2, label="... as dlib measures it (whole px)")
        ax2.set_ylabel("px")
        ax.set_xlabel(f"seconds ({path.name}, seed {args.seed})")
        lines = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
        names = ax.get_legend_handles_labels()[1] + ax2.get_legend_handles_labels()[1]
        ax.legend(lines, names, fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(args.out, dpi=80)
    print(f"wrote {args.out}")


def _rotated(v: np.ndarray, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([c * v[0] - s * v[1], s * v[0] + c * v[1]])


if __name__ == "__main__":
    main()
