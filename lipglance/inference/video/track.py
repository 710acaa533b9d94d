"""Face landmarks over a dubbed video (lipglance.inference.video.dub): the preprocessing tracker, streamed and smoothed.

The tracker is `lipglance.data.track.FaceTracker`, the one `lipglance preprocess` uses: dlib's HOG detector on
key frames (the first, every `redetect` frames, and whenever tracking is lost), the 68-point predictor on
every frame, seeded with a box from the previous frame's landmarks. Three things differ for dubbing:

- the video is split into shots where the picture changes at once (the mean absolute difference of
  consecutive frames, shrunk to 64x36 grey, above `CUT` levels), and each shot starts with a detection: the
  predictor, seeded from the last shot's face, would otherwise find a plausible "face" in whatever the cut
  shows until the next key frame;

- frames without a face are expected (cut-aways, titles, a speaker who turns away): after a detection
  finds nothing, the detector rests for `RETRY - 1` frames, so a faceless stretch costs one detection every
  `RETRY` frames instead of one a frame (a face that appears is picked up at most `RETRY - 1` frames late);
- the landmarks are smoothed in time by a Gaussian (sigma `SIGMA` frames; the preprocessing smooths its
  crop squares the same way, lipglance.face.smooth_squares) within each run of frames with a face, never
  across a gap. Only the `radius` frames on either side are held, so memory does not grow with the video.

Detection runs on the luma plane (dlib works on grey), downscaled to at most `MAX_WIDTH` px wide.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator

import cv2
import numpy as np

from lipglance.data.track import FaceTracker
from lipglance.face import Box

RETRY = 4  # frames: a failed detection is tried again this many frames later
SIGMA = 1.0  # frames: Gaussian smoothing of the landmarks
CUT = 25.0  # grey levels: mean absolute change of a shrunk frame that starts a new shot
MAX_WIDTH = 960  # px: frames are detected at most this wide (faces from ~110 px at 720p, ~160 px at 1080p)

Tracked = tuple[np.ndarray, "np.ndarray | None"]  # (RGB frame, 68 landmarks [68, 2] float64, or None: no face)


class VideoTracker(FaceTracker):
    """`FaceTracker` whose detector rests `retry - 1` frames after it found no face."""

    def __init__(self, redetect: int = 25, max_width: int = MAX_WIDTH, face_index: int = 0,
                 retry: int = RETRY) -> None:
        super().__init__(redetect=redetect, max_width=max_width, face_index=face_index)
        self.retry = retry
        self._rest = 0

    def _detect(self, frame: np.ndarray) -> Box | None:
        if self._rest > 0:
            self._rest -= 1
            return None
        box = super()._detect(frame)
        if box is None:
            self._rest = self.retry - 1
        return box


def track_video(frames: Iterable[np.ndarray], face_index: int = 0, sigma: float = SIGMA) -> Iterator[Tracked]:
    """Yield (RGB frame, smoothed landmarks [68, 2] or None) for every RGB frame, `radius` frames behind."""
    tracker = VideoTracker(face_index=face_index)
    rgb: deque[np.ndarray] = deque()

    def luma() -> Iterator[np.ndarray]:
        for frame in frames:
            rgb.append(frame)
            yield cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)

    raw = ((rgb.popleft(), None if np.isnan(points[0, 0]) else points.astype(np.float64))
           for _, points in _by_shots(tracker, luma()))
    return smooth_track(raw, sigma)


def first_face(frames: Iterable[np.ndarray], face_index: int = 0) -> int | None:
    """The index of the first grey frame in which the tracker's detector finds face number `face_index`, trying
    frames as the tracker does in a faceless stretch (one in RETRY); None when it finds none."""
    tracker = VideoTracker(face_index=face_index)
    for k, grey in enumerate(frames):
        if tracker._detect(grey) is not None:
            return k
    return None


def _by_shots(tracker: VideoTracker, frames: Iterator[np.ndarray]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """`tracker.track` run afresh on each shot of grey `frames` (see the module doc)."""
    state: dict[str, np.ndarray | None] = {"last": None, "next": None}

    def shot() -> Iterator[np.ndarray]:
        if state["next"] is not None:
            first, state["next"] = state["next"], None
            yield first
        for grey in frames:
            small = cv2.resize(grey, (64, 36), interpolation=cv2.INTER_AREA).astype(np.int16)
            last, state["last"] = state["last"], small
            if last is not None and float(np.abs(small - last).mean()) > CUT:
                state["next"] = grey
                return
            yield grey

    while True:
        tracker._rest = 0
        yield from tracker.track(shot())
        if state["next"] is None:
            return


def smooth_track(items: Iterable[Tracked], sigma: float = SIGMA) -> Iterator[Tracked]:
    """Gaussian smoothing (sigma in frames) of the landmarks of a stream of (frame, landmarks or None), within
    runs of frames with landmarks; the window is renormalised where a run starts or ends."""
    radius = int(3 * sigma + 0.5) if sigma > 0 else 0
    weights = np.exp(-0.5 * (np.arange(-radius, radius + 1) / max(sigma, 1e-6)) ** 2)
    past: deque[np.ndarray | None] = deque(maxlen=max(radius, 1))
    ahead: deque[Tracked] = deque()
    for item in items:
        ahead.append(item)
        if len(ahead) > radius:
            yield _centre(past, ahead, weights, radius)
    while ahead:
        yield _centre(past, ahead, weights, radius)


def _centre(past: deque[np.ndarray | None], ahead: deque[Tracked], weights: np.ndarray, radius: int) -> Tracked:
    """Pop the oldest frame of `ahead` with its landmarks averaged over its run's neighbours."""
    frame, points = ahead.popleft()
    out = None
    if points is not None and radius > 0:
        acc, total = weights[radius] * points, float(weights[radius])
        for k, p in enumerate(reversed(past)):
            if p is None or k >= radius:
                break
            acc, total = acc + weights[radius - 1 - k] * p, total + weights[radius - 1 - k]
        for k, (_, p) in enumerate(ahead):
            if p is None or k >= radius:
                break
            acc, total = acc + weights[radius + 1 + k] * p, total + weights[radius + 1 + k]
        out = acc / total
    elif points is not None:
        out = points
    past.append(points)
    return frame, out
