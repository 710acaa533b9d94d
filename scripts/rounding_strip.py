"""Rounded against spread lips on real photos, the shape renderer before and after it draws rounding (issue 26).

    .venv/bin/python scripts/rounding_strip.py --out docs/rounding_strip.png

Columns: the photo's mouth closed at rest, then the vowels of "who", "oh", "ooh" (rounded: lips narrow and
protrude) and "he", "hay" (spread), each held in the middle of a 0.4-s vowel: the synthetic corpus's articulation of
the phone (lipglance.inference.speech.transcript.transcript_shapes), as the transcript path draws it. Rows: each
held-out photo (astronaut, Grace Hopper) rendered by `ShapeWarp.frame` with the mouth only narrowed (rounding 0,
the renderer before) and with the lips pouting by the shape's rounding (lipglance.inference.render.rounding: fuller
lips, a small round opening, teeth covered; this release); a grinning photo's grin relaxed as in the middle of
speech (lipglance.inference.render.expression). Under
each tile: the shape's mouth width and the width dlib's 68 points read on the frame, both in rest mouth widths.
Nothing is random: two runs give the same picture.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from lipglance.face import detect_faces, landmarks
from lipglance.inference.model.lipsync import LipSync
from lipglance.inference.render import shape as shape_renderer
from lipglance.inference.render.shape import ShapeWarp
from lipglance.inference.speech.transcript import transcript_shapes
from lipglance.samples import sample_photos
from lipglance.shape import mouth_width, width_of
from lipglance.synth.tts import Phone

VOWELS = (("uw", "who"), ("ow", "oh"), ("uh", "ooh"), ("iy", "he"), ("ey", "hay"))
TILE = (240, 144)  # px of each enlarged mouth


def vowel_shape(canon: str) -> np.ndarray:
    """The shape [20, 2] in the middle of `canon` held 0.4 s between pauses."""
    phones = [Phone("sil", "sil", 0.0, 0.3), Phone(canon, canon, 0.3, 0.7), Phone("sil", "sil", 0.7, 1.0)]
    return transcript_shapes(phones, 25)[12]


def tiles(warp: ShapeWarp, shapes: list[np.ndarray], names: list[str]) -> np.ndarray:
    """One row: each shape rendered, cropped around the mouth, enlarged, labelled with its widths."""
    box = (detect_faces(warp.image) or detect_faces(warp.image, upsample=1))[0]
    rest = float(mouth_width(landmarks(warp.frame(np.zeros((20, 2))), box)[48:68]))
    cx, cy = warp.points.mean(0)
    half = 0.9 * warp.width
    out = []
    for shape, name in zip(shapes, names, strict=True):
        frame = warp.frame(shape, expression=None if name == "rest" else warp.grin)
        read = float(mouth_width(landmarks(frame, box)[48:68])) / rest
        y0, x0 = int(cy - 0.6 * half), int(cx - half)
        crop = cv2.resize(frame[y0:int(cy + 0.6 * half), x0:int(cx + half)], TILE, interpolation=cv2.INTER_CUBIC)
        cv2.putText(crop, name, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1, cv2.LINE_AA)
        cv2.putText(crop, f"shape {float(width_of(shape)):.2f}  dlib {read:.2f}", (6, TILE[1] - 8),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 0), 1, cv2.LINE_AA)
        out.append(crop)
    return np.concatenate(out, 1)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True, help="the PNG to write")
    args = p.parse_args()
    model = LipSync.from_pretrained()
    shapes = [np.zeros((20, 2))] + [vowel_shape(c) for c, _ in VOWELS]
    names = ["rest"] + [f"{word} ({c})" for c, word in VOWELS]
    pout = shape_renderer.rounding_of
    rows = []
    for path in sample_photos():
        photo = path.stem
        image = cv2.cvtColor(np.asarray(cv2.imread(str(path))), cv2.COLOR_BGR2RGB)
        warp = model.prepare_warp(image, 0, ShapeWarp)
        assert isinstance(warp, ShapeWarp)
        for rounding, label in ((lambda _: 0.0, "before (narrowed only)"), (pout, "after (rounding drawn)")):
            shape_renderer.rounding_of = rounding  # type: ignore[assignment]
            row = tiles(warp, shapes, names)
            cv2.putText(row, f"{photo}, {label}", (TILE[0] + 6, 36), cv2.FONT_HERSHEY_SIMPLEX,
                        0.45, (255, 255, 255), 1, cv2.LINE_AA)
            rows.append(row)
    shape_renderer.rounding_of = pout
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(args.out, cv2.cvtColor(np.concatenate(rows, 0), cv2.COLOR_RGB2BGR))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
