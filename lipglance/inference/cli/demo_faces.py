"""The demo page's face picker and its own words for errors (lipglance.inference.cli.demo).

`faces_panel` finds the faces of an uploaded photo (largest first, as `lipglance faces` numbers them) and draws
the numbered preview; `clicked_face` turns a click on that preview into a face number; `page_message` says a
UserError in the page's terms: no command-line flags, no API argument names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from lipglance.errors import UserError

# an API argument or command-line phrase in a message -> what the page calls it
_PAGE_TERMS = [
    (re.compile(r",? or the face's box with box=\([^()]*\)"), ""),
    (re.compile(r"\s*\(0 = the largest; `lipglance faces IMAGE` numbers them\)"),
     " (the Faces panel numbers them, 0 = the largest)"),
    (re.compile(r"\bface_index=(\d+)"), r"face \1"),
    (re.compile(r"use renderer='shape', or leave the transcript out"), "leave the transcript out"),
    (re.compile(r"\buse renderer='(\w+)'"), "use another photo"),
    (re.compile(r"\s*\(use `lipglance generate[^`]*` for longer audio\)"), ": cut it shorter"),
]


def page_message(e: UserError) -> str:
    """A UserError's one line in the page's own words."""
    text = str(e)
    for pattern, words in _PAGE_TERMS:
        text = pattern.sub(words, text)
    return text


@dataclass(frozen=True)
class FacesFound:
    """The faces of a photo, largest first: their boxes (x, y, w, h) and the numbered preview."""

    boxes: list[tuple[int, int, int, int]]
    preview: np.ndarray
    lip_crop: bool  # a small square image: the network takes it as the mouth itself

    def choices(self) -> list[str]:
        return [face_label(i) for i in range(len(self.boxes))]

    def summary(self) -> str:
        if self.lip_crop:
            return "A lip image: the whole image is the mouth."
        if not self.boxes:
            return "No face found in this photo: use a photo with a visible frontal face, or a lip image."
        if len(self.boxes) == 1:
            return "One face found (0)."
        return f"{len(self.boxes)} faces found, numbered from the largest: click one, or choose its number."


def face_label(i: int) -> str:
    return f"{i} (the largest)" if i == 0 else str(i)


def face_number(label: str | None) -> int:
    """The face number of a picker label ("0 (the largest)", "2"); 0 when none is chosen."""
    head = (label or "0").split()[0]
    return int(head) if head.isdigit() else 0


def faces_panel(rgb: np.ndarray) -> FacesFound:
    """The faces of a photo as the page scales it (the same faces `generate` finds), with the preview."""
    from lipglance.face import is_lip_crop
    from lipglance.inference.cli.faces import preview
    from lipglance.inference.faces.find import find_faces
    from lipglance.inference.render.paste import even_size

    if is_lip_crop(rgb):
        return FacesFound([], rgb, True)
    photo = even_size(rgb)
    faces, rejected = find_faces(photo)
    return FacesFound([f.xywh() for f in faces], preview(photo, faces, rejected), False)


def clicked_face(boxes: list[tuple[int, int, int, int]], x: float, y: float) -> int | None:
    """The face whose box holds the point (x, y) (the smallest such box), else the nearest face's centre; None
    when there is no face."""
    if not boxes:
        return None
    inside = [i for i, (bx, by, w, h) in enumerate(boxes) if bx <= x <= bx + w and by <= y <= by + h]
    if inside:
        return min(inside, key=lambda i: boxes[i][2] * boxes[i][3])
    return int(np.argmin([(bx + w / 2 - x) ** 2 + (by + h / 2 - y) ** 2 for bx, by, w, h in boxes]))
