"""`lipglance faces IMAGE`: the faces found (boxes for --box, numbers for --face-index) and a numbered preview."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lipglance.errors import UserError
from lipglance.io.outputs import OutputFile, shown

if TYPE_CHECKING:
    from lipglance.inference.faces.find import Face

FACE, REJECTED = (255, 40, 40), (150, 150, 150)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("faces", help="list the faces glance finds in a photo and write a numbered preview")
    p.add_argument("image", help="a photo")
    p.add_argument("-o", "--preview", help="the preview PNG to write (default: IMAGE's name + .faces.png, here)")
    p.set_defaults(func=run)


def preview(rgb: np.ndarray, faces: list[Face], rejected: list[tuple[Face, str]]) -> np.ndarray:
    """The photo with each face's box and number (red), rejected detections crossed out (grey)."""
    import cv2

    out = np.ascontiguousarray(rgb.copy())
    thick = max(2, round(max(rgb.shape[:2]) / 300))
    for face, _ in rejected:
        x, y, w, h = face.xywh()
        cv2.rectangle(out, (x, y), (x + w, y + h), REJECTED, thick)
        cv2.line(out, (x, y), (x + w, y + h), REJECTED, thick)
    for i, face in enumerate(faces):
        x, y, w, h = face.xywh()
        cv2.rectangle(out, (x, y), (x + w, y + h), FACE, thick)
        scale = max(0.6, w / 80)
        (tw, th), _ = cv2.getTextSize(str(i), cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
        cv2.rectangle(out, (x, max(0, y - th - 2 * thick)), (x + tw + 2 * thick, y), FACE, -1)
        cv2.putText(out, str(i), (x + thick, max(th, y - thick)), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255),
                    thick, cv2.LINE_AA)
    return out


def run(args: argparse.Namespace) -> int:
    import cv2

    from lipglance.inference.faces.find import find_faces
    from lipglance.inference.render.paste import even_size
    from lipglance.io.image import read_image

    image = Path(args.image)
    target = Path(args.preview) if args.preview else Path(image.name).with_suffix(".faces.png")
    out = OutputFile(target, ".png", "the preview")
    try:
        rgb = even_size(read_image(image))
        faces, rejected = find_faces(rgb)
        ok, png = cv2.imencode(".png", cv2.cvtColor(preview(rgb, faces, rejected), cv2.COLOR_RGB2BGR))
        if not ok:
            raise UserError("could not encode the preview as PNG")
        out.temp().write_bytes(png.tobytes())
        out.commit()
    except BaseException:
        out.undo()
        raise
    print(f"{shown(image)}: {rgb.shape[1]}x{rgb.shape[0]} px, {len(faces)} face(s), largest first")
    for i, face in enumerate(faces):
        x, y, w, h = face.xywh()
        print(f"  face {i}: box {x},{y},{w},{h}   (--face-index {i}  or  --box {x},{y},{w},{h})")
    for face, why in rejected:
        x, y, w, h = face.xywh()
        print(f"  rejected: box {x},{y},{w},{h}: {why}")
    if not faces:
        print("  no face: give --box X,Y,W,H by hand, or a lip crop (a square image of the mouth)")
    print(f"wrote {shown(out.path.resolve())} (numbered boxes; grey, crossed out: rejected)")
    return 0
