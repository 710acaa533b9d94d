"""Render 64x64 lip crops of a procedural identity from per-frame mouth geometry.

Everything is drawn at SS x the crop resolution with sub-pixel polygon fills and then
area-downsampled (anti-aliasing). The crop of every frame follows the SAME rule as
preprocessing (`lipglance.face`): square on the mouth box, side 1.3 x max(w, h), smoothed.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from lipglance.synth.appearance import TEX_EXTENT, TEX_PX_PER_UNIT, Identity, skin_texture
from lipglance.synth.articulation import PARAMS
from lipglance.synth.geometry import mouth_points

SS = 3  # supersampling factor
SHIFT = 4  # fixed-point bits for sub-pixel polygon fills
_I = {p: i for i, p in enumerate(PARAMS)}


@dataclass(frozen=True)
class Pose:
    """Per-frame head pose: mouth units -> world pixels."""

    cx: np.ndarray  # [T]
    cy: np.ndarray
    scale: np.ndarray  # world pixels per mouth unit
    roll: np.ndarray  # degrees

    @classmethod
    def sample(cls, rng: np.random.Generator, n: int, fps: int = 25) -> Pose:
        t = np.arange(n) / fps
        roll = rng.uniform(-6, 6) + rng.uniform(0, 4) * np.sin(2 * np.pi * rng.uniform(0.1, 0.5) * t
                                                               + rng.uniform(0, 2 * np.pi))
        scale = 40 * rng.uniform(0.9, 1.1) * (1 + 0.05 * np.sin(2 * np.pi * rng.uniform(0.05, 0.3) * t
                                                               + rng.uniform(0, 2 * np.pi)))
        walk = np.cumsum(rng.normal(0, 0.6, (n, 2)), axis=0)
        walk = cv2.GaussianBlur(walk.astype(np.float32), (1, 0), sigmaX=0.1, sigmaY=3).astype(np.float64)
        return cls(128 + walk[:, 0], 128 + walk[:, 1], scale, np.clip(roll, -10, 10))

    def matrix(self, k: int) -> np.ndarray:
        """3x3 affine: mouth units -> world pixels for frame k."""
        r = np.deg2rad(self.roll[k])
        s = self.scale[k]
        return np.array([[s * np.cos(r), -s * np.sin(r), self.cx[k]],
                         [s * np.sin(r), s * np.cos(r), self.cy[k]], [0, 0, 1]])


def crop_matrix(cx: float, cy: float, side: float, size: int) -> np.ndarray:
    """3x3 affine: world pixels -> crop pixels of a size x size crop."""
    s = size / side
    return np.array([[s, 0, size / 2 - s * cx], [0, s, size / 2 - s * cy], [0, 0, 1]])


def _apply(m: np.ndarray, pts: np.ndarray) -> np.ndarray:
    return pts @ m[:2, :2].T + m[:2, 2]


def _spline(pts: np.ndarray, closed: bool, n: int = 6) -> np.ndarray:
    """Catmull-Rom curve through the points (n samples per segment)."""
    p = np.vstack([pts[-1:], pts, pts[:2]]) if closed else np.vstack([pts[:1], pts, pts[-1:]])
    segs = len(pts) if closed else len(pts) - 1
    t = np.linspace(0, 1, n, endpoint=False)[:, None]
    out = []
    for i in range(segs):
        p0, p1, p2, p3 = p[i], p[i + 1], p[i + 2], p[i + 3]
        out.append(0.5 * (2 * p1 + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                          + (-p0 + 3 * p1 - 3 * p2 + p3) * t**3))
    if not closed:
        out.append(pts[-1:])
    return np.vstack(out)


def _fill(shape: tuple[int, ...], poly: np.ndarray) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.round(poly * (1 << SHIFT)).astype(np.int32)], 255, cv2.LINE_AA, SHIFT)
    return mask.astype(np.float32) / 255.0


def _blend(img: np.ndarray, mask: np.ndarray, colour: np.ndarray | tuple[float, ...]) -> None:
    img += mask[..., None] * (np.asarray(colour, np.float32) - img)


class LipRenderer:
    """Draws one identity; `frame` renders one crop given articulation, pose and crop square."""

    def __init__(self, ident: Identity, size: int = 64) -> None:
        self.ident = ident
        self.size = size
        self.tex, self.shade = skin_texture(ident)
        # texture pixels -> mouth units
        k = 1.0 / TEX_PX_PER_UNIT
        self.tex_to_mouth = np.array([[k, 0, -TEX_EXTENT + k / 2], [0, k, -TEX_EXTENT + k / 2], [0, 0, 1]])

    def frame(self, art: np.ndarray, pose_m: np.ndarray, crop_m: np.ndarray) -> np.ndarray:
        """Render one RGB float32 crop [size, size, 3] in [0, 1]; pose_m, crop_m: 3x3 affines."""
        n = self.size * SS
        up = np.diag([SS, SS, 1.0])
        m = up @ crop_m @ pose_m  # mouth units -> supersampled crop pixels
        ident, shape = self.ident, self.ident.shape
        img = cv2.warpAffine(self.tex, (m @ self.tex_to_mouth)[:2], (n, n), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REFLECT)
        shade = cv2.warpAffine(self.shade, (m @ self.tex_to_mouth)[:2], (n, n), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REFLECT)
        pts = mouth_points(art, shape)
        # Draw the mouth only inside its bounding box (+ margin): a view into the frame.
        box = _apply(m, pts)
        margin = 4 * SS
        x0, y0 = (np.floor(box.min(0)).astype(int) - margin).clip(0, n)
        x1, y1 = (np.ceil(box.max(0)).astype(int) + margin).clip(0, n)
        sub = img[y0:y1, x0:x1]
        hw = (y1 - y0, x1 - x0)
        m = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1.0]]) @ m
        p = _apply(m, pts)
        outer, inner = p[:12], p[12:]
        upper = np.vstack([_spline(outer[0:7], False), _spline(inner[[4, 3, 2, 1, 0]], False)])
        lower = np.vstack([_spline(outer[[6, 7, 8, 9, 10, 11, 0]], False), _spline(inner[[0, 7, 6, 5, 4]], False)])
        lip = np.array(ident.lip, np.float32)
        blur = 0.35 * SS
        upper_m = cv2.GaussianBlur(_fill(hw, upper), (0, 0), blur)
        lower_m = cv2.GaussianBlur(_fill(hw, lower), (0, 0), blur)
        _blend(sub, upper_m, lip * 0.86)
        _blend(sub, lower_m, lip * 1.02)
        # Gloss on the lower lip.
        gap = min(1.0, float(art[_I["open"]]) * shape.articulation) * shape.max_open
        gy = 0.68 * gap + 0.45 * shape.lower
        gloss = np.zeros(hw, np.float32)
        c = _apply(m, np.array([[0.0, gy]]))[0]
        axes = (max(1, int(0.35 * shape.width * m[0, 0])), max(1, int(0.07 * m[0, 0])))
        cv2.ellipse(gloss, (int(c[0]), int(c[1])), axes, float(np.degrees(np.arctan2(m[1, 0], m[0, 0]))),
                    0, 360, 1.0, -1, cv2.LINE_AA)
        gloss = cv2.GaussianBlur(gloss, (0, 0), 1.5 * SS) * lower_m * ident.gloss
        _blend(sub, gloss, (1.0, 0.95, 0.95))
        self._cavity(sub, art, m, _spline(inner, True), gap)
        # The lip seam: a dark line along the inner upper contour.
        seam = np.zeros(hw, np.float32)
        cv2.polylines(seam, [np.round(_spline(inner[0:5], False) * (1 << SHIFT)).astype(np.int32)], False, 1.0,
                      max(1, SS // 2), cv2.LINE_AA, SHIFT)
        _blend(sub, 0.55 * cv2.GaussianBlur(seam, (0, 0), 0.5 * SS), lip * 0.35)
        img = img * shade[..., None]
        return cv2.resize(np.clip(img, 0, 1), (self.size, self.size), interpolation=cv2.INTER_AREA)

    def _cavity(self, img: np.ndarray, art: np.ndarray, m: np.ndarray, inner: np.ndarray, gap: float) -> None:
        hw = img.shape[:2]
        cav = _fill(hw, inner)
        if cav.max() == 0:
            return
        ident = self.ident
        layer = np.empty_like(img)
        layer[:] = ident.cavity
        teeth = float(art[_I["teeth"]])
        tongue = float(art[_I["tongue"]])
        xs = np.linspace(-0.9, 0.9, 19)
        if teeth > 0.02:
            # Upper teeth hang from the skull (fixed in mouth units); lower teeth ride on the jaw.
            edge_u = 0.04 + 0.04 * xs**2 - 0.06 * float(art[_I["labiodental"]])
            poly_u = np.vstack([np.c_[xs, edge_u], [[0.9, -1.0], [-0.9, -1.0]]])
            edge_l = 0.68 * gap - 0.02 - 0.05 * xs**2
            poly_l = np.vstack([np.c_[xs, edge_l + 0.1 * (1 - teeth)], [[0.9, 2.0], [-0.9, 2.0]]])
            tcol = np.array(ident.teeth, np.float32)
            _blend(layer, _fill(hw, _apply(m, poly_u)) * min(1.0, 1.3 * teeth), tcol)
            _blend(layer, _fill(hw, _apply(m, poly_l)) * 0.8 * teeth, tcol * 0.9)
        if tongue > 0.05 and gap > 0.05:
            c = _apply(m, np.array([[0.0, 0.68 * gap - 0.05 * tongue]]))[0]
            t_mask = np.zeros(hw, np.float32)
            axes = (max(1, int(0.45 * m[0, 0])), max(1, int((0.1 + 0.2 * tongue) * m[0, 0])))
            cv2.ellipse(t_mask, (int(c[0]), int(c[1])), axes, 0, 0, 360, 1.0, -1, cv2.LINE_AA)
            _blend(layer, t_mask * 0.85 * tongue, np.array(ident.lip, np.float32) * 0.75)
        # Darker towards the corners and the back of the mouth.
        cav = cv2.GaussianBlur(cav, (0, 0), 0.4 * SS)
        _blend(img, cav, (0, 0, 0))
        img += cav[..., None] * layer
