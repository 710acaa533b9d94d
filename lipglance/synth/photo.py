"""Make a real face photo speak: piecewise-affine warp of its mouth to synthetic lip points.

Used by the video form of the corpus (to test preprocessing end to end on a real face) and
by tests that validate dlib landmarks (and so the LMD metric) against exact ground truth.
The photo's own mouth is explained as an articulation `art0`; every frame moves the 20 mouth
points by model(art) - model(art0), so a closed target closes even a smiling photo.
"""

from __future__ import annotations

import cv2
import numpy as np
from skimage.transform import PiecewiseAffineTransform, warp

from lipglance.errors import UserError
from lipglance.face import detect_faces, landmarks
from lipglance.synth.articulation import PARAMS
from lipglance.synth.geometry import LipShape, inner_gap, mouth_points

_I = {p: i for i, p in enumerate(PARAMS)}


def fit_frame(image: np.ndarray, size: tuple[int, int], face_frac: float = 0.42) -> np.ndarray:
    """Crop/resize a photo to `size` (w, h) so the face spans `face_frac` of the width, centred."""
    faces = detect_faces(image)
    if not faces:
        raise UserError("no face found in the photo")
    f = faces[0]
    scale = face_frac * size[0] / (f.right - f.left)
    cx, cy = (f.left + f.right) / 2, (f.top + f.bottom) / 2 + 0.1 * (f.bottom - f.top)
    m = np.array([[scale, 0, size[0] / 2 - scale * cx], [0, scale, size[1] / 2 - scale * cy]], np.float32)
    return cv2.warpAffine(image, m, size, flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REFLECT)


class TalkingPhoto:
    """A photo whose mouth follows articulation vectors; `frame(art)` -> (RGB frame, 20 mouth points)."""

    def __init__(self, image: np.ndarray, shape: LipShape | None = None) -> None:
        self.image = np.ascontiguousarray(image)
        faces = detect_faces(self.image)
        if not faces:
            raise UserError("no face found in the photo")
        self.points = landmarks(self.image, faces[0])
        self.shape = shape or LipShape()
        src = self.points[48:68]
        left, right = src[0], src[6]
        self.scale = float(np.linalg.norm(right - left) / 2 / self.shape.width)
        self.roll = float(np.degrees(np.arctan2(right[1] - left[1], right[0] - left[0])))
        r = np.deg2rad(self.roll)
        self.rot = np.array([[np.cos(r), -np.sin(r)], [np.sin(r), np.cos(r)]])
        # Explain the photo's own mouth opening as art0 (opening found by bisection).
        gap = max(0.0, float(src[18, 1] - src[14, 1])) / self.scale
        lo, hi = 0.0, 1.0
        for _ in range(20):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if inner_gap(mouth_points(self._art(mid), self.shape)) < gap else (lo, mid)
        self.art0 = self._art(lo)
        self.model0 = mouth_points(self.art0, self.shape)
        h, w = self.image.shape[:2]
        mw = 2 * self.scale * self.shape.width
        c = src.mean(0)
        self.roi = (int(max(0, c[0] - 1.3 * mw)), int(max(0, c[1] - 1.0 * mw)),
                    int(min(w, c[0] + 1.3 * mw)), int(min(h, c[1] + 1.5 * mw)))

    @staticmethod
    def _art(opening: float) -> np.ndarray:
        a = np.zeros(len(PARAMS), np.float32)
        a[_I["open"]] = opening
        return a

    def target(self, art: np.ndarray) -> np.ndarray:
        """The 20 mouth points [20, 2] (image pixels) for articulation `art`."""
        d = (mouth_points(art, self.shape) - self.model0) * self.scale
        return (self.points[48:68] + d @ self.rot.T).astype(np.float32)

    def frame(self, art: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        dst = self.target(art)
        x0, y0, x1, y1 = self.roi
        src_pts = [self.points[48:68]]
        dst_pts = [dst]
        # Chin follows the jaw (part of the lower-lip motion); the nose and the ROI border stay put.
        jaw = (dst[9] - self.points[57]) * np.array([0.3, 0.6])[:, None, None]
        for idx, k in ((range(6, 11), 0), (range(7, 10), 1)):
            pts = self.points[list(idx)]
            src_pts.append(pts)
            dst_pts.append(pts + jaw[k][0])
        fixed = [self.points[31:36]]
        bx = np.linspace(x0, x1 - 1, 5)
        by = np.linspace(y0, y1 - 1, 5)
        border = np.array([[x, y] for x in bx for y in (y0, y1 - 1)] + [[x, y] for y in by[1:-1] for x in (x0, x1 - 1)])
        fixed.append(border.astype(np.float32))
        src_all = np.vstack(src_pts + fixed) - [x0, y0]
        dst_all = np.vstack(dst_pts + fixed) - [x0, y0]
        keep = (src_all[:, 0] >= 0) & (src_all[:, 1] >= 0) & (src_all[:, 0] < x1 - x0) & (src_all[:, 1] < y1 - y0)
        # maps output (target) -> input (photo) coordinates, as `warp` wants
        tform = PiecewiseAffineTransform.from_estimate(dst_all[keep], src_all[keep])
        roi = self.image[y0:y1, x0:x1].astype(np.float32) / 255.0
        warped = warp(roi, tform, preserve_range=True, order=1, mode="edge")
        self._cavity(warped, dst - [x0, y0], art)
        out = self.image.copy()
        out[y0:y1, x0:x1] = np.clip(warped * 255, 0, 255).round().astype(np.uint8)
        return out, dst

    def _cavity(self, img: np.ndarray, dst: np.ndarray, art: np.ndarray) -> None:
        """Dark mouth cavity with upper teeth inside the target inner-lip contour."""
        ss = 4
        h, w = img.shape[:2]
        inner = dst[12:] * ss
        mask = np.zeros((h * ss, w * ss), np.uint8)
        cv2.fillPoly(mask, [np.round(inner).astype(np.int32)], 255, cv2.LINE_AA)
        mask_f = cv2.resize(mask, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
        if mask_f.max() == 0:
            return
        teeth = np.zeros((h * ss, w * ss), np.uint8)
        upper = dst[[12, 13, 14, 15, 16]] * ss
        depth = (0.12 + 0.1 * float(art[_I["teeth"]])) * self.scale * ss
        poly = np.vstack([upper, upper[::-1] + [0, depth]])
        cv2.fillPoly(teeth, [np.round(poly).astype(np.int32)], 255, cv2.LINE_AA)
        teeth_f = cv2.resize(teeth, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
        layer = np.empty_like(img)
        layer[:] = (0.12, 0.04, 0.05)
        layer += teeth_f[..., None] * (np.array([0.86, 0.83, 0.76], np.float32) - layer)
        img += mask_f[..., None] * (layer - img)
