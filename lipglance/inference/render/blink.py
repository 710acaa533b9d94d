"""Eye blinks for the living photo (lipglance.inference.render.living): when, how far closed, and the eyelid warp.

When: the first blink 0.6..2.5 s in, then a gap of 1.8 s plus a gamma(2, 1 s) draw, at most 6 s (mean about
3.8 s, some 16 blinks a minute, a resting talker's rate); one blink in eight is followed 0.3 s later by a
second (a double blink). All from one seeded generator, drawn as the frames go (no schedule is stored).

How far: a blink closes the lids in 0.10 s, holds them shut 0.06 s (so at 25 frames/s at least one frame is fully
closed) and opens them in 0.22 s, eased at both ends.

The warp, per eye, from dlib's six eye points (36-41, 42-47) in the eye's own frame (along the corner line and
across it, so a tilted head blinks along its own axis): each lid is a smooth cubic through its two points that
meets the other at the corners, taken 6% of the eye's width further out than dlib's (its corners sit inside the
lids' meeting). dlib's upper-lid points often sit low, inside the iris (Grace Hopper's do), so the upper lid is
taken up to 0.18 eye widths higher in the middle. Closing by c moves the upper lid down by 0.65 c of the gap and
the lower lid up by 0.35 c; the lid's skin above the upper lid stretches down with it, the skin below the lower
lid follows it, the eyeball between is squeezed to nothing, and a lash line (up to 45% darker) is drawn along the
closing upper lid. Nothing outside that band moves.

Only the eyelids move: the band of skin that follows a lid is at most 0.3 eye widths (ABOVE, BELOW) and ends
before the first strong edge or dark band beyond the lid (`_room`: a glasses rim, a brow, a frame's shadow), found
on the photo's grey levels along curves parallel to the lid. Where that leaves less than MIN_ROOM of lid skin, the eye
cannot blink cleanly, and then neither eye blinks (lipglance.inference.render.living).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import cv2
import numpy as np

CLOSE_S, HOLD_S, OPEN_S = 0.10, 0.06, 0.22
FIRST_S = (0.6, 2.5)
MIN_GAP_S, MAX_GAP_S = 1.8, 6.0
DOUBLE_P, DOUBLE_GAP_S = 0.125, 0.3
UPPER_SHARE = 0.65  # of the lid gap, closed by the upper lid
RAISE = 0.18  # eye widths: the upper lid taken this far above dlib's points at the middle (they often sit low)
LASH, LASH_PX = 0.45, 0.035  # the lash line drawn along the closing lid: darkening, half-width in eye widths
ABOVE, BELOW = 0.3, 0.3  # eye widths: most skin above and below the lids that follows them
EDGE = 12.0  # grey levels per px (and half the lid's own edge): an edge beyond a lid that its skin band stops at
DARK = 0.5  # of the skin's grey level: a band beyond a lid this dark is a rim or a brow, which the lid stops short of
BROW = 0.12  # eye widths: the lid's skin band ends at least this far below dlib's brow points
MIN_ROOM = 0.06  # eye widths: less lid skin than this between a lid and such an edge, and the eye does not blink
SCAN = 0.1  # eye widths beyond a lid: the lid's own edge is the strongest before this; the scan starts after it
CORNER = 0.06  # of the eye's width: each corner taken this much further out along the corner line
SMOOTH = 0.1  # eye widths: the lid skin stretched over the eye is averaged along the lid over this length
MIN_EYE_PX = 6.0  # narrower eyes are left alone


def _ease(x: float) -> float:
    x = min(max(x, 0.0), 1.0)
    return x * x * (3 - 2 * x)


def closure(dt: float) -> float:
    """How far shut the lids are (0 open .. 1 closed) `dt` seconds after a blink starts."""
    if dt < 0 or dt >= CLOSE_S + HOLD_S + OPEN_S:
        return 0.0
    if dt < CLOSE_S:
        return _ease(dt / CLOSE_S)
    if dt < CLOSE_S + HOLD_S:
        return 1.0
    return 1.0 - _ease((dt - CLOSE_S - HOLD_S) / OPEN_S)


def closures(seed: int, fps: float) -> Iterator[float]:
    """The lids' closure at every frame, forever: blinks at seeded random times (see module doc)."""
    rng = np.random.default_rng(seed)
    length = CLOSE_S + HOLD_S + OPEN_S
    start = float(rng.uniform(*FIRST_S))
    k = 0
    while True:
        t = k / fps
        while t >= start + length:
            double = rng.random() < DOUBLE_P
            gap = DOUBLE_GAP_S if double else min(MIN_GAP_S + float(rng.gamma(2.0, 1.0)), MAX_GAP_S)
            start += length + gap
        yield closure(t - start)
        k += 1


def _lid(s: np.ndarray, s1: float, d1: float, s2: float, d2: float) -> np.ndarray:
    """Offset across the eye line at positions s (0, 1: the corners) of a cubic s(1-s)(a+bs) through (s1, d1),
    (s2, d2)."""
    s1, s2 = min(max(s1, 0.05), 0.95), min(max(s2, 0.05), 0.95)
    q1, q2 = d1 / (s1 * (1 - s1)), d2 / (s2 * (1 - s2))
    b = (q2 - q1) / (s2 - s1) if abs(s2 - s1) > 0.05 else 0.0
    a = q1 - b * s1 if abs(s2 - s1) > 0.05 else (q1 + q2) / 2
    s = np.clip(s, 0.0, 1.0)
    return s * (1 - s) * (a + b * s)


def _room(grey: np.ndarray, lid: Callable[[np.ndarray], np.ndarray], out: np.ndarray, width: float,
          most: float) -> float:
    """Px of skin beyond a lid (`lid`: positions 0..1 along the eye -> [N, 2] pixels of `grey`; `out`: the unit
    vector away from the eye) before the first strong edge across it (the median over the middle of the lid of the
    grey level's change along `out`, rising above EDGE and half the lid's own edge) or the first dark band (a median
    grey level below DARK of the skin's); at most `most` eye widths."""
    g = cv2.GaussianBlur(grey.astype(np.float32), (3, 3), 0)
    gx, gy = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3) / 8, cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3) / 8
    ts = np.arange(0.0, most + 1e-6, 0.025)
    base = lid(np.linspace(0.2, 0.8, 25))
    xy = (base[None] + (ts * width)[:, None, None] * out).astype(np.float32)
    mx, my = np.ascontiguousarray(xy[..., 0]), np.ascontiguousarray(xy[..., 1])
    across = np.abs(cv2.remap(gx, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE) * out[0]
                    + cv2.remap(gy, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE) * out[1])
    strength = np.median(across, axis=1)
    level = np.median(cv2.remap(g, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE), axis=1)
    limit = max(EDGE, 0.5 * float(strength[ts < SCAN].max()))
    dark = DARK * float(np.percentile(level, 75))  # the skin's grey level: most of what is scanned
    start = int(np.argmax(strength[ts < SCAN])) + 1  # past the lid's own edge
    for k in range(start, len(ts)):
        if level[k] < dark:
            return float(max(ts[k] - 0.05, 0.0) * width)
        if strength[k] >= limit and strength[k] >= strength[k - 1]:
            return float(max(ts[k] - 0.025, 0.0) * width)
    return most * width


@dataclass(frozen=True)
class EyeWarp:
    """One eye's lid warp, precomputed on the pixels of its box `roi` (x0, y0, x1, y1)."""

    roi: tuple[int, int, int, int]
    v: np.ndarray  # [h, w] float32: each pixel's offset across the eye line (down the face), px
    upper: np.ndarray  # [h, w] the upper lid's offset at each pixel's column along the line
    lower: np.ndarray  # [h, w] the lower lid's
    normal: tuple[float, float]  # unit vector across the eye line, pointing down the face
    width: float  # corner to corner, px
    above: float  # px of skin above the upper lid that follows it
    below: float  # px below the lower lid
    lash: np.ndarray  # [h, w] float32: the lash line's strength along the eye, 0 at and beyond the corners
    grid: tuple[np.ndarray, np.ndarray]  # pixel x, y [h, w] float32 in roi coordinates

    @classmethod
    def for_eye(cls, points: np.ndarray, image: np.ndarray, brow: np.ndarray | None = None) -> EyeWarp | None:
        """The warp of an eye from its six dlib points [6, 2] (corner, upper lid x2, corner, lower lid x2) in
        `image` [H, W, 3], below the brow `brow` [5, 2] (dlib's 17-21 or 22-26) if given; None for an eye too
        small to blink visibly, reaching outside the image, or with too little lid skin before a rim or brow
        (see the module doc)."""
        shape = image.shape
        p = np.asarray(points, np.float64).copy()
        axis = p[3] - p[0]
        p[0], p[3] = p[0] - CORNER * axis, p[3] + CORNER * axis  # dlib's corners sit inside the lids' meeting
        axis = p[3] - p[0]
        width = float(np.hypot(*axis))
        if width < MIN_EYE_PX:
            return None
        along = axis / width
        normal = np.array([-along[1], along[0]])
        if normal[1] < 0:
            normal = -normal
        s_of = ((p - p[0]) @ along) / width  # along the corner line, 0 and 1 at the corners
        d_of = (p - p[0]) @ normal  # across it
        gap = max(float(d_of[[5, 4]].mean() - d_of[[1, 2]].mean()), 1.0)
        lo_v = float(d_of[[1, 2]].min()) - (RAISE + ABOVE) * width - 2
        hi_v = float(d_of[[4, 5]].max()) + BELOW * width + 2
        corners = [p[0] + along * u + normal * v for u in (-0.1 * width, 1.1 * width) for v in (lo_v, hi_v)]
        xy = np.array(corners)
        x0, y0 = (int(np.floor(c)) - 1 for c in xy.min(0))
        x1, y1 = (int(np.ceil(c)) + 2 for c in xy.max(0))
        if x0 < 0 or y0 < 0 or x1 > shape[1] or y1 > shape[0] or gap > width:
            return None
        ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float64)
        rel_x, rel_y = xs - p[0, 0], ys - p[0, 1]
        s = (rel_x * along[0] + rel_y * along[1]) / width
        v = rel_x * normal[0] + rel_y * normal[1]
        inner = np.clip(s, 0, 1) * (1 - np.clip(s, 0, 1))
        upper = _lid(s, s_of[1], d_of[1], s_of[2], d_of[2]) - 4 * inner * RAISE * width
        lower = _lid(s, s_of[5], d_of[5], s_of[4], d_of[4])
        lower = np.maximum(lower, upper)
        grey = cv2.cvtColor(np.ascontiguousarray(image[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY)
        lids = [(lambda t, k=k: p[0] - [x0, y0] + np.outer(t * width, along)
                 + np.outer(_lid(t, s_of[k[0]], d_of[k[0]], s_of[k[1]], d_of[k[1]])
                            - (4 * t * (1 - t) * RAISE * width if k == (1, 2) else 0), normal))
                for k in ((1, 2), (5, 4))]
        above = _room(grey, lids[0], -normal, width, ABOVE)
        if brow is not None:  # the brow's dlib line, less a margin, bounds the lid's skin too
            inside = [b for b in np.asarray(brow, np.float64) if 0 <= (b - p[0]) @ along <= width]
            lowest = max(((b - p[0]) @ normal for b in inside), default=-np.inf)
            above = min(above, float(upper[(s >= 0.2) & (s <= 0.8)].min() - lowest) - BROW * width)
        below = _room(grey, lids[1], normal, width, BELOW)
        if min(above, below) < MIN_ROOM * width:
            return None
        f = np.float32
        lash = LASH * np.clip(inner / 0.09, 0, 1)
        return cls((x0, y0, x1, y1), v.astype(f), upper.astype(f), lower.astype(f),
                   (float(normal[0]), float(normal[1])), width, above, below, lash.astype(f),
                   ((xs - x0).astype(f), (ys - y0).astype(f)))

    def apply(self, frame: np.ndarray, c: float) -> None:
        """Close this eye of `frame` (in place) by `c` (0 open .. 1 shut)."""
        if c <= 0:
            return
        x0, y0, x1, y1 = self.roi
        up, low, v = self.upper, self.lower, self.v
        gap = low - up
        top, bottom = up - np.float32(self.above), low + np.float32(self.below)
        up_new = up + c * UPPER_SHARE * gap
        low_new = low - c * (1 - UPPER_SHARE) * gap
        eps = np.float32(1e-3)
        src = np.where(v < top, v, top + (v - top) * (up - top) / np.maximum(up_new - top, eps))
        mid = up + (v - up_new) * gap / np.maximum(low_new - up_new, eps)
        src = np.where(v >= up_new, np.where(v < low_new, mid, low + (v - low_new) * (bottom - low) /
                                              np.maximum(bottom - low_new, eps)), src)
        src = np.where(v >= bottom, v, src)
        shift = (src - v).astype(np.float32)
        gx, gy = self.grid
        map_x = gx + shift * np.float32(self.normal[0])
        map_y = gy + shift * np.float32(self.normal[1])
        region = np.ascontiguousarray(frame[y0:y1, x0:x1])
        warped = cv2.remap(region, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        # The lid's skin, stretched over the eye, is smoothed along the lid so its texture does not run in streaks.
        stretch = (up_new - top) / np.maximum(up - top, eps)
        smooth = np.clip((stretch - 1) / 2, 0, 1) * ((v >= top) & (v < up_new))
        k = max(int(SMOOTH * self.width) | 1, 3)
        along = cv2.blur(warped, (k, 1)).astype(np.float32)
        warped = warped + smooth[..., None] * (along - warped)
        half = max(LASH_PX * self.width, 0.7)
        dark = 1 - c * self.lash * np.exp(-np.square((v - up_new) / np.float32(half)))
        frame[y0:y1, x0:x1] = (warped * dark[..., None] + 0.5).astype(np.uint8)
