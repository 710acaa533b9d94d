"""dlib mouth landmarks on a 64x64 lip crop (for LMD).

A lip crop holds no whole face for dlib's detector, so the 68-point predictor is run with
the face box a face would have around this crop (calibrated on real photos: box centre 0.4
crop sides above the mouth centre, box side 1.6 crop sides), on a 4x upscaled crop whose
borders are replicated to fill the rest of the face. Points 48-67 are returned in crop pixels;
implausible results (mouth far off-centre or of impossible width) count as detection failures.
"""

from __future__ import annotations

import cv2
import numpy as np

from glance.face import _dlib_models

UPSCALE = 4
BOX_OFFSET = -0.40  # face-box centre above the mouth centre, in crop sides
BOX_SIDE = 1.6  # face-box side, in crop sides


def crop_mouth_landmarks(crop: np.ndarray) -> np.ndarray | None:
    """uint8 RGB crop [S, S, 3] -> mouth points [20, 2] (dlib 48-67) in crop pixels, or None."""
    import dlib

    _, predictor = _dlib_models()
    size = crop.shape[0]
    big = cv2.resize(crop, None, fx=UPSCALE, fy=UPSCALE, interpolation=cv2.INTER_CUBIC)
    n = big.shape[0]
    side, cx, cy = BOX_SIDE * n, n / 2, n / 2 + BOX_OFFSET * n
    left, top, right, bottom = cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2
    pl, pt = int(max(0.0, -left)) + 8, int(max(0.0, -top)) + 8
    pr, pb = int(max(0.0, right - n)) + 8, int(max(0.0, bottom - n)) + 8
    canvas = cv2.copyMakeBorder(big, pt, pb, pl, pr, cv2.BORDER_REPLICATE)
    rect = dlib.rectangle(int(left + pl), int(top + pt), int(right + pl), int(bottom + pt))
    shape = predictor(np.ascontiguousarray(canvas), rect)  # type: ignore[operator]
    pts = (np.array([(p.x, p.y) for p in shape.parts()][48:68], np.float32) - [pl, pt]) / UPSCALE
    width = float(np.ptp(pts[:, 0]))
    centre = pts.mean(0)
    if not (0.3 * size < width < 1.0 * size) or np.abs(centre - size / 2).max() > 0.2 * size:
        return None
    return pts
