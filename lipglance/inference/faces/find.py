"""Finding faces: which of dlib's detections are faces (landmark sanity and size), the faces of a photo, the face
in a given box, the face to animate (`pick_face`), and whether an image is a lip crop or a photo (`check_image`).

dlib's HOG detector also fires on face-like patterns (a name patch on a suit, a logo); its 68-point
predictor then still draws a face-shaped constellation, but with a human face's proportions broken. A
detection counts as a face when, measured along the eye line and across it, in inter-ocular distances (IOD):
the IOD is 0.30..0.70 of the box width, the eyes-to-nose-tip drop 0.35..0.90, the nose-tip-to-mouth drop
0.25..0.70 and at most 1.3 times the eyes-to-nose drop, the mouth width 0.55..1.60, the head rolled less
than 45 degrees, and the box at least MIN_FACE_PX wide. On the astronaut and Grace Hopper photos at 0.5x,
1x, 2x, upright and rolled 15 degrees, the faces measure 0.39..0.53, 0.49..0.61, 0.39..0.51 (ratio
0.68..0.95) and 0.78..1.09; the astronaut's name patch, wherever dlib fires on it, 0.33..0.42, 0.34..0.49,
0.70..0.89 (ratio 1.42..2.2) and 1.05..1.22.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lipglance.errors import UserError
from lipglance.face import Box, detect_faces, eye_centres, is_lip_crop, landmarks

MIN_FACE_PX = 32
LIMITS = {"IOD / box width": (0.30, 0.70), "eyes-to-nose drop": (0.35, 0.90), "nose-to-mouth drop": (0.25, 0.70),
          "nose-to-mouth / eyes-to-nose": (0.0, 1.3), "mouth width": (0.55, 1.60)}


@dataclass(frozen=True)
class Face:
    box: Box
    points: np.ndarray  # [68, 2] dlib landmarks in photo pixels

    def xywh(self) -> tuple[int, int, int, int]:
        b = self.box
        return int(b.left), int(b.top), int(b.right - b.left), int(b.bottom - b.top)


def proportions(points: np.ndarray, box: Box) -> tuple[dict[str, float], float]:
    """(the LIMITS measures, head roll in degrees) of 68 landmarks in `box`."""
    left, right = eye_centres(points)
    eye_line = right - left
    iod = float(np.linalg.norm(eye_line))
    if iod < 1e-6:
        return dict.fromkeys(LIMITS, 0.0), 0.0
    along = eye_line / iod
    across = np.array([-along[1], along[0]])  # pointing down the face when the head is upright
    eyes = (left + right) / 2
    nose, mouth = points[30], points[48:68].mean(0)
    upper, lower = float((nose - eyes) @ across) / iod, float((mouth - nose) @ across) / iod
    measures = {"IOD / box width": iod / max(box.right - box.left, 1e-6), "eyes-to-nose drop": upper,
                "nose-to-mouth drop": lower, "nose-to-mouth / eyes-to-nose": lower / upper if upper > 1e-6 else 99.0,
                "mouth width": float(np.linalg.norm(points[54] - points[48])) / iod}
    return measures, float(np.degrees(np.arctan2(along[1], along[0])))


def implausible(points: np.ndarray, box: Box) -> str | None:
    """Why a detection is not a face, or None for a face."""
    width = box.right - box.left
    if width < MIN_FACE_PX:
        return f"too small ({width:.0f} px wide, need >= {MIN_FACE_PX})"
    measures, roll = proportions(points, box)
    if abs(roll) > 45:
        return f"head rolled {roll:.0f} degrees"
    for name, value in measures.items():
        lo, hi = LIMITS[name]
        if not lo <= value <= hi:
            return f"not a face's proportions ({name} {value:.2f}, a face has {lo:.2f}..{hi:.2f})"
    return None


def find_faces(rgb: np.ndarray) -> tuple[list[Face], list[tuple[Face, str]]]:
    """(faces largest first, rejected detections with the reason). Detection is retried on a 2x upsampled
    image when the plain one finds no face."""
    kept: list[tuple[Face, str]] = []
    for upsample in (0, 1):
        faces: list[Face] = []
        rejected: list[tuple[Face, str]] = []
        for box in detect_faces(rgb, upsample):
            face = Face(box, landmarks(rgb, box))
            why = implausible(face.points, box)
            if why is None:
                faces.append(face)
            else:
                rejected.append((face, why))
        if faces:
            return faces, rejected
        kept = rejected or kept
    return [], kept


def parse_box(text: str) -> tuple[int, int, int, int]:
    """'x,y,w,h' (pixels) -> a tuple, or ValueError with what is wrong."""
    parts = text.replace(" ", "").split(",")
    if len(parts) != 4 or not all(p.lstrip("-").isdigit() for p in parts):
        raise ValueError(f"'{text}' is not a face box: give x,y,w,h in whole pixels (`lipglance faces IMAGE` "
                         "prints the boxes of the faces it finds)")
    x, y, w, h = (int(p) for p in parts)
    if w <= 0 or h <= 0 or x < 0 or y < 0:
        raise ValueError(f"'{text}' is not a face box: x and y must be >= 0, width and height > 0")
    return x, y, w, h


def face_in_box(rgb: np.ndarray, xywh: tuple[int, int, int, int]) -> Face:
    """The face a user's box (x, y, w, h) holds, landmarked by dlib; ValueError if it lies outside the image
    or holds no plausible face."""
    x, y, w, h = xywh
    height, width = rgb.shape[:2]
    if x + w > width or y + h > height:
        raise ValueError(f"box=({x}, {y}, {w}, {h}) reaches outside the {width}x{height} image")
    box = Box(x, y, x + w, y + h)
    face = Face(box, landmarks(rgb, box))
    why = implausible(face.points, box)
    if why is not None:
        raise ValueError(f"box=({x}, {y}, {w}, {h}) holds no face glance can use ({why})")
    return face


def pick_face(photo: np.ndarray, face_index: int = 0, box: tuple[int, int, int, int] | None = None) -> np.ndarray:
    """The 68 landmarks [68, 2] of the face to animate: the face in `box` (x, y, w, h in pixels) if given, else
    the `face_index`-th of `find_faces` (0: the largest); a one-line UserError when there is none."""
    if face_index < 0:
        raise UserError(f"face_index={face_index}: faces count from 0 (the largest)")
    if box is not None:
        try:
            return face_in_box(photo, box).points
        except ValueError as e:
            raise UserError(f"cannot use the face box: {e}") from None
    faces, rejected = find_faces(photo)
    if not faces:
        why = f" ({len(rejected)} face-like detection(s) rejected: {rejected[0][1]})" if rejected else ""
        raise UserError(f"no face found in the image{why}: give a photo with a visible frontal face, "
                        "a lip crop (a square image of the mouth), or the face's box with box=(x, y, w, h)")
    if face_index >= len(faces):
        raise UserError(f"face_index={face_index} asked, but the image has {len(faces)} face(s) "
                        f"(0 = the largest; `lipglance faces IMAGE` numbers them)")
    return faces[face_index].points


def check_image(image: np.ndarray) -> bool:
    """Refuse what is not an RGB uint8 image or too small a lip crop; True for a lip crop, False for a photo."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise UserError(f"the image must be RGB uint8 [H, W, 3], got {image.dtype} {list(image.shape)}")
    if not is_lip_crop(image):
        return False
    if min(image.shape[:2]) < 16:
        raise UserError(f"a {image.shape[1]}x{image.shape[0]} px image is too small to hold a mouth (need >= 16 px)")
    return True
