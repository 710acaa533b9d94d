"""Head motion for the living photo (lipglance.inference.render.living): a small, speech-driven sway of the whole face
region.

Motion: a roll about the neck (a point 0.3 inter-ocular distances, IOD, below the chin) and a shift, each a
sum of three sinusoids of seeded frequencies (0.12..0.7 Hz) and phases whose weights sum to 1, so every one
stays within its bound and averages zero: the head sways about the photo's pose and never drifts. The sway's
amplitude follows the speech: 35% in silence, rising to 100% with the speech energy (the RMS of 120 ms around
each frame, the level measured against the training corpus's speech level after
lipglance.inference.speech.loudness's gain, so a quiet
recording moves as much as a loud one), with 0.25 s attack and 0.8 s release. A quarter of the vertical shift
is a nod on stressed syllables (fast minus slow energy). Bounds: roll MAX_ROLL_DEG, shift MAX_SHIFT IODs.

Region: an ellipse around the 68 landmarks in the face's own frame (jaw to a forehead 0.8 IOD above the brows),
fully moved inside and feathered to still over 0.6 IOD outside, so the background beyond that band is the
photo's own, pixel for pixel.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from lipglance.face import eye_centres
from lipglance.inference.speech.loudness import TRAINING_LEVEL_DBFS, level_gain

MAX_ROLL_DEG = 0.8
MAX_SHIFT = 0.025  # of the IOD
IDLE = 0.35  # share of the sway in silence
FOREHEAD, FEATHER, NECK = 0.8, 0.6, 0.3  # IODs
RANGE_DB = 30.0  # energy 0 this far below the corpus's speech level, 1 at it


@dataclass(frozen=True)
class HeadWarp:
    """The face region of a photo and its warp, precomputed on the pixels of `roi` (x0, y0, x1, y1)."""

    roi: tuple[int, int, int, int]
    grid: tuple[np.ndarray, np.ndarray]  # pixel x, y [h, w] float32 in roi coordinates
    weighted: tuple[np.ndarray, np.ndarray, np.ndarray]  # mask * (x - pivot x), mask * (y - pivot y), mask
    iod: float

    @classmethod
    def for_face(cls, points: np.ndarray, shape: tuple[int, ...]) -> HeadWarp:
        """The region of a face from its 68 dlib landmarks [68, 2] in an image of `shape`."""
        p = np.asarray(points, np.float64)
        left, right = eye_centres(p)
        iod = max(float(np.hypot(*(right - left))), 1.0)
        along = (right - left) / iod
        down = np.array([-along[1], along[0]])
        u, v = p[:27] @ along, p[:27] @ down  # jaw and brows in the face's frame
        u0, u1 = float(u.min()), float(u.max())
        v0, v1 = float(v[17:].min()) - FOREHEAD * iod, float(v[:17].max())
        cu, cv_, a, b = (u0 + u1) / 2, (v0 + v1) / 2, (u1 - u0) / 2, (v1 - v0) / 2
        reach = FEATHER * iod
        corners = np.array([along * uu + down * vv for uu in (u0 - reach, u1 + reach) for vv in (v0 - reach,
                                                                                               v1 + reach)])
        x0, y0 = (max(0, int(np.floor(c)) - 1) for c in corners.min(0))
        x1 = min(shape[1], int(np.ceil(corners[:, 0].max())) + 2)
        y1 = min(shape[0], int(np.ceil(corners[:, 1].max())) + 2)
        ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float64)
        fu, fv = xs * along[0] + ys * along[1] - cu, xs * down[0] + ys * down[1] - cv_
        r = np.hypot(fu / a, fv / b)
        # distance outside the ellipse, roughly in px: (r - 1) times the radius along that direction
        outside = (r - 1) * np.hypot(fu, fv) / np.maximum(r, 1e-6)
        m = np.clip(1 - outside / reach, 0, 1)
        mask = m * m * (3 - 2 * m)
        pivot = p[8] + down * NECK * iod
        f = np.float32
        return cls((x0, y0, x1, y1), ((xs - x0).astype(f), (ys - y0).astype(f)),
                   ((mask * (xs - pivot[0])).astype(f), (mask * (ys - pivot[1])).astype(f), mask.astype(f)), iod)

    def apply(self, frame: np.ndarray, roll: float, dx: float, dy: float) -> None:
        """Move the face of `frame` (in place): roll by `roll` radians about the neck, then shift by (dx, dy) px."""
        c, s = np.cos(roll), np.sin(roll)
        # each output pixel p samples R(-roll)(p - pivot - d) + pivot: p + (R(-roll) - I)(p - pivot) - R(-roll) d
        mx, my, m = self.weighted
        gx, gy = self.grid
        f = np.float32
        map_x = gx + f(c - 1) * mx + f(s) * my + f(-(c * dx + s * dy)) * m
        map_y = gy + f(-s) * mx + f(c - 1) * my + f(-(-s * dx + c * dy)) * m
        x0, y0, x1, y1 = self.roi
        region = np.ascontiguousarray(frame[y0:y1, x0:x1])
        frame[y0:y1, x0:x1] = cv2.remap(region, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _sway(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(frequencies Hz, phases, weights summing to 1) of one bounded, zero-mean sway."""
    w = rng.uniform(0.5, 1.0, 3)
    return rng.uniform(0.12, 0.7, 3), rng.uniform(0, 2 * np.pi, 3), w / w.sum()


def energies(audio: np.ndarray, sample_rate: int, fps: float) -> Iterator[float]:
    """Speech energy 0..1 per video frame (see module doc), one frame at a time."""
    gain = level_gain(audio, sample_rate)
    hop = sample_rate / fps
    k = 0
    while True:
        a, b = int(round((k - 1) * hop)), int(round((k + 2) * hop))
        chunk = np.asarray(audio[max(0, a):max(0, b)], np.float64) * gain
        power = float(np.mean(chunk * chunk)) if len(chunk) else 0.0
        db = 10 * np.log10(max(power, 1e-12))
        yield float(np.clip((db - TRAINING_LEVEL_DBFS + RANGE_DB) / RANGE_DB, 0, 1))
        k += 1


def motions(audio: np.ndarray, sample_rate: int, fps: float, seed: int, iod: float) -> Iterator[tuple[float, float,
                                                                                                       float]]:
    """(roll radians, dx px, dy px) per frame, forever (silence past the audio's end); see module doc."""
    rng = np.random.default_rng([seed, 1])
    roll_w, dx_w, dy_w = _sway(rng), _sway(rng), _sway(rng)
    attack, release = 1 - np.exp(-1 / (0.25 * fps)), 1 - np.exp(-1 / (0.8 * fps))
    fast_k, slow_k = 1 - np.exp(-1 / (0.06 * fps)), 1 - np.exp(-1 / (0.5 * fps))
    env = fast = slow = 0.0
    max_roll, max_shift = np.radians(MAX_ROLL_DEG), MAX_SHIFT * iod
    for k, e in enumerate(energies(audio, sample_rate, fps)):
        env += (attack if e > env else release) * (e - env)
        fast += fast_k * (e - fast)
        slow += slow_k * (e - slow)
        amp = IDLE + (1 - IDLE) * env
        t = k / fps
        wave = [float(w @ np.sin(2 * np.pi * fr * t + ph)) for fr, ph, w in (roll_w, dx_w, dy_w)]
        nod = min(max(fast - slow, 0.0), 1.0)
        yield (max_roll * amp * wave[0], max_shift * amp * wave[1],
               max_shift * (0.75 * amp * wave[2] + 0.25 * nod))
