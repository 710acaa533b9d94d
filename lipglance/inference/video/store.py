"""A temporary on-disk store of a video's frames and landmarks, read back in any order (the dub's ping-pong).

When the new speech is longer than the video, `lipglance.inference.video.dub` plays the video forward, then backward,
then
forward again. To play it backward without holding it in memory, the first (forward) pass writes each frame,
JPEG-coded (quality 95, no chroma subsampling; the time to write and read a 720p frame is in
docs/bench/dub_2026-12-02_profile.txt), and its smoothed landmarks into a temporary folder, and the later
passes read them back by index. Memory holds one frame; the folder (its disk use grows with the video's
length, not with the speech's) is removed when the store is closed.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from types import TracebackType

import cv2
import numpy as np

JPEG = [cv2.IMWRITE_JPEG_QUALITY, 95, cv2.IMWRITE_JPEG_SAMPLING_FACTOR, cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444]


def pingpong(i: int, n: int) -> int:
    """Index into `n` frames of output frame `i` when they play forward, backward, forward...: 0 1 2 1 0 1 2..."""
    if n <= 1:
        return 0
    j = i % (2 * n - 2)
    return j if j < n else 2 * n - 2 - j


class FrameStore:
    """Frames (uint8 RGB, one size) and landmarks ([68, 2] or None) appended in order, then read by index."""

    def __init__(self, folder: str | Path | None = None) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="lipglance-dub-", dir=folder))
        self._frames = (self.folder / "frames.bin").open("w+b")
        self._index = (self.folder / "index.bin").open("w+b")  # int64 offset of each frame
        self._points = (self.folder / "points.bin").open("w+b")  # float32 [68, 2] per frame, NaN: no face
        self.count = 0

    def append(self, frame: np.ndarray, points: np.ndarray | None) -> None:
        ok, data = cv2.imencode(".jpg", frame, JPEG)  # channels as given: decoded in the same order
        if not ok:
            raise OSError("could not JPEG-code a frame for the ping-pong store")
        for f in (self._frames, self._index, self._points):
            f.seek(0, 2)  # appended at the end, also after a read
        self._index.write(np.int64(self._frames.tell()).tobytes())
        self._frames.write(data.tobytes())
        pts = np.full((68, 2), np.nan, np.float32) if points is None else np.asarray(points, np.float32)
        self._points.write(pts.tobytes())
        self.count += 1

    def __getitem__(self, k: int) -> tuple[np.ndarray, np.ndarray | None]:
        if not 0 <= k < self.count:
            raise IndexError(f"frame {k} of {self.count}")
        self._index.seek(8 * k)
        start = int(np.frombuffer(self._index.read(8), np.int64)[0])
        end = int(np.frombuffer(self._index.read(8), np.int64)[0]) if k + 1 < self.count else None
        self._frames.seek(start)
        data = self._frames.read(-1 if end is None else end - start)
        frame = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        if frame is None:
            raise OSError(f"the ping-pong store's frame {k} cannot be read back")
        self._points.seek(68 * 2 * 4 * k)
        pts = np.frombuffer(self._points.read(68 * 2 * 4), np.float32).reshape(68, 2).astype(np.float64)
        return frame, None if np.isnan(pts[0, 0]) else pts

    def flush(self) -> None:
        for f in (self._frames, self._index, self._points):
            f.flush()

    def close(self) -> None:
        for f in (self._frames, self._index, self._points):
            f.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> FrameStore:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
