"""Faces and mouths with dlib: HOG detector, 68-point predictor, and the lip crop rule (docs/DESIGN.md, Data rules).

The crop rule (authors' rule): a square centred on the box of mouth points 48-67, side
1.3 x max(w, h), resized to 64x64.
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

MOUTH = slice(48, 68)
CROP_SCALE = 1.3
LIP_CROP_MAX_SIDE = 160  # a roughly square image at most this large is taken as a lip crop


def is_lip_crop(image: np.ndarray) -> bool:
    h, w = image.shape[:2]
    return abs(h - w) <= 0.1 * max(h, w) and max(h, w) <= LIP_CROP_MAX_SIDE


@functools.cache
def _dlib_models() -> tuple[object, object]:
    import dlib  # imported lazily: it takes a while and not every command needs it

    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or spec.origin is None:
        from lipglance.errors import UserError
        from lipglance.install import hint

        raise UserError(hint("face_recognition_models"))
    dat = Path(spec.origin).parent / "models" / "shape_predictor_68_face_landmarks.dat"
    return dlib.get_frontal_face_detector(), dlib.shape_predictor(str(dat))


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    right: float
    bottom: float

    @property
    def area(self) -> float:
        return (self.right - self.left) * (self.bottom - self.top)


def detect_faces(rgb: np.ndarray, upsample: int = 0) -> list[Box]:
    """Face boxes in an RGB (or grey) uint8 image, largest first."""
    detector, _ = _dlib_models()
    rects = detector(np.ascontiguousarray(rgb), upsample)  # type: ignore[operator]
    boxes = [Box(r.left(), r.top(), r.right(), r.bottom()) for r in rects]
    return sorted(boxes, key=lambda b: -b.area)


def landmarks(rgb: np.ndarray, box: Box) -> np.ndarray:
    """68 (x, y) landmarks [68, 2] float32 inside `box` of an RGB or grey uint8 image."""
    import dlib

    _, predictor = _dlib_models()
    rect = dlib.rectangle(int(box.left), int(box.top), int(box.right), int(box.bottom))
    shape = predictor(np.ascontiguousarray(rgb), rect)  # type: ignore[operator]
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)


def eye_centres(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(left, right) eye centres: the means of dlib points 36-41 and 42-47 of 68 landmarks."""
    p = np.asarray(points, np.float64)
    return p[36:42].mean(0), p[42:48].mean(0)


def mouth_square(points: np.ndarray) -> tuple[float, float, float]:
    """(cx, cy, side) of the crop square for mouth points [20, 2] (or all 68 points)."""
    mouth = points[MOUTH] if len(points) == 68 else points
    lo, hi = mouth.min(axis=0), mouth.max(axis=0)
    cx, cy = (lo + hi) / 2
    return float(cx), float(cy), float(CROP_SCALE * max(hi - lo))


def crop_square(rgb: np.ndarray, cx: float, cy: float, side: float, size: int = 64) -> np.ndarray:
    """Resample the square (cx, cy, side) to size x size (edges replicated outside the image)."""
    scale = size / side
    m = np.array([[scale, 0, size / 2 - scale * cx], [0, scale, size / 2 - scale * cy]], np.float32)
    return cv2.warpAffine(rgb, m, (size, size), flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)


def smooth_squares(squares: np.ndarray, sigma: float = 1.5) -> np.ndarray:
    """Temporal Gaussian smoothing of per-frame crop squares [T, 3] (cx, cy, side), edges held."""
    squares = np.asarray(squares, np.float64)
    if sigma <= 0 or len(squares) < 2:
        return squares.copy()
    radius = int(3 * sigma + 0.5)
    k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    k /= k.sum()
    padded = np.pad(squares, ((radius, radius), (0, 0)), mode="edge")
    return np.stack([np.convolve(padded[:, j], k, mode="valid") for j in range(squares.shape[1])], axis=1)


# dlib mouth landmarks on a lip crop (for LMD and for closing a lip crop's mouth).
# A lip crop holds no whole face for dlib's detector, so the 68-point predictor is run with
# the face box a face would have around this crop (calibrated on real photos: box centre 0.4
# crop sides above the mouth centre, box side 1.6 crop sides), on a 4x upscaled crop whose
# borders are replicated to fill the rest of the face. Points 48-67 are returned in crop pixels;
# implausible results (mouth far off-centre or of impossible width) count as detection failures.
CROP_UPSCALE = 4
CROP_BOX_OFFSET = -0.40  # face-box centre above the mouth centre, in crop sides
CROP_BOX_SIDE = 1.6  # face-box side, in crop sides


def crop_mouth_landmarks(crop: np.ndarray) -> np.ndarray | None:
    """uint8 RGB crop [H, W, 3] (square by the crop rule; a roughly square lip crop works too) -> mouth
    points [20, 2] (dlib 48-67) in crop pixels, or None. x is measured along the width, y along the height."""
    import dlib

    _, predictor = _dlib_models()
    h, w = crop.shape[:2]
    big = cv2.resize(crop, None, fx=CROP_UPSCALE, fy=CROP_UPSCALE, interpolation=cv2.INTER_CUBIC)
    nh, nw = big.shape[:2]
    side, cx, cy = CROP_BOX_SIDE * nh, nw / 2, nh / 2 + CROP_BOX_OFFSET * nh
    left, top, right, bottom = cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2
    pl, pt = int(max(0.0, -left)) + 8, int(max(0.0, -top)) + 8
    pr, pb = int(max(0.0, right - nw)) + 8, int(max(0.0, bottom - nh)) + 8
    canvas = cv2.copyMakeBorder(big, pt, pb, pl, pr, cv2.BORDER_REPLICATE)
    rect = dlib.rectangle(int(left + pl), int(top + pt), int(right + pl), int(bottom + pt))
    shape = predictor(np.ascontiguousarray(canvas), rect)  # type: ignore[operator]
    pts = (np.array([(p.x, p.y) for p in shape.parts()][48:68], np.float32) - [pl, pt]) / CROP_UPSCALE
    mouth_w = float(np.ptp(pts[:, 0]))
    off_centre = np.abs(pts.mean(0) - (w / 2, h / 2))
    if not (0.3 * w < mouth_w < 1.0 * w) or off_centre[0] > 0.2 * w or off_centre[1] > 0.2 * h:
        return None
    return pts
