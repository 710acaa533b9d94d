"""Face landmarks over a video: detect on some frames, track between them.

The 68-point predictor runs on every frame, seeded with a box derived from the previous
frame's landmarks; the HOG detector runs on the first frame, every `redetect` frames (to
catch drift), and whenever tracking is lost (the landmarks jump or shrink implausibly).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np

from lipglance.face import Box, detect_faces, landmarks


@dataclass
class TrackStats:
    frames: int = 0
    detections: int = 0
    missing: int = 0


def _box_from_points(points: np.ndarray, rel: np.ndarray) -> Box:
    """Detector-style box from landmarks, using the detector/landmark relation `rel`."""
    lo, hi = points.min(0), points.max(0)
    size = float(max(hi - lo))
    cx, cy = (lo + hi) / 2 + rel[:2] * size
    half = rel[2] * size / 2
    return Box(cx - half, cy - half, cx + half, cy + half)


def _relation(box: Box, points: np.ndarray) -> np.ndarray:
    lo, hi = points.min(0), points.max(0)
    size = float(max(hi - lo))
    c = np.array([(box.left + box.right) / 2, (box.top + box.bottom) / 2])
    return np.array([*((c - (lo + hi) / 2) / size), (box.right - box.left) / size])


class FaceTracker:
    """Per-frame 68-point landmarks [68, 2] (NaN where no face) for a stream of RGB frames."""

    def __init__(self, redetect: int = 25, max_width: int = 640, face_index: int = 0) -> None:
        self.redetect = redetect
        self.max_width = max_width
        self.face_index = face_index
        self.stats = TrackStats()

    def _detect(self, frame: np.ndarray) -> Box | None:
        self.stats.detections += 1
        scale = min(1.0, self.max_width / frame.shape[1])
        small = frame if scale == 1.0 else cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        faces = detect_faces(small) or (detect_faces(small, upsample=1) if small.shape[1] < 400 else [])
        if len(faces) <= self.face_index:
            return None
        b = faces[self.face_index]
        return Box(b.left / scale, b.top / scale, b.right / scale, b.bottom / scale)

    def track(self, frames: Iterable[np.ndarray]) -> Iterable[tuple[np.ndarray, np.ndarray]]:
        """Yield (frame, landmarks [68, 2] float32 or all-NaN) for every frame."""
        prev: np.ndarray | None = None
        rel: np.ndarray | None = None
        since = 0
        for frame in frames:
            self.stats.frames += 1
            points = None
            if prev is not None and rel is not None and since < self.redetect:
                points = landmarks(frame, _box_from_points(prev, rel))
                if not _plausible(prev, points):
                    points = None
            if points is None:
                box = self._detect(frame)
                since = 0
                if box is not None:
                    points = landmarks(frame, box)
                    rel = _relation(box, points)
            since += 1
            if points is None:
                self.stats.missing += 1
                prev = None
                yield frame, np.full((68, 2), np.nan, np.float32)
            else:
                prev = points
                yield frame, points


def _plausible(prev: np.ndarray, points: np.ndarray) -> bool:
    """Consecutive landmark sets of one face: similar size, centre moved less than 15% of the size."""
    s0, s1 = float(np.ptp(prev, axis=0).max()), float(np.ptp(points, axis=0).max())
    if s0 <= 0 or not 0.8 < s1 / s0 < 1.25:
        return False
    return float(np.linalg.norm(points.mean(0) - prev.mean(0))) < 0.15 * s0


def fill_gaps(points: np.ndarray, max_gap: int) -> np.ndarray | None:
    """Linearly interpolate missing frames [T, 68, 2] (NaN) in gaps of at most `max_gap` frames,
    holding the ends; None if a longer gap (or no face at all) remains."""
    ok = ~np.isnan(points[:, 0, 0])
    if not ok.any():
        return None
    idx = np.flatnonzero(ok)
    gaps = np.diff(np.concatenate([[-1], idx, [len(points)]])) - 1
    if gaps.max(initial=0) > max_gap:
        return None
    out = points.copy()
    t = np.arange(len(points))
    flat = points.reshape(len(points), -1)
    for j in range(flat.shape[1]):
        out.reshape(len(points), -1)[:, j] = np.interp(t, idx, flat[idx, j])
    return out
