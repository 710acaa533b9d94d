"""Decode talking-face videos with PyAV: frames resampled to a fixed fps, audio aligned to frame 0.

Any container/codec FFmpeg reads (mpg, mp4, avi, mov, ...). Frame k of the output is the
source frame nearest to time k / fps; the audio (the video's own track or a separate file)
is shifted by the streams' start-time difference so that sample 0 is frame 0, mixed to
mono, resampled, and cut or zero-padded to exactly the video's duration.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from lipglance.io.audio import decode_audio


class VideoReadError(ValueError):
    """A video that cannot be decoded."""


@dataclass
class VideoStreamInfo:
    start: float  # seconds of the first frame
    fps: float  # source frame rate (average)
    frames: int = 0  # output frames produced (set once iteration ends)


def iter_frames(path: str | Path, fps: int, info: VideoStreamInfo | None = None,
                pix: str = "rgb24") -> Iterator[np.ndarray]:
    """Yield uint8 frames (RGB [H, W, 3], or luma [H, W] with pix="gray") resampled to `fps`."""
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as e:
        raise VideoReadError(str(getattr(e, "strerror", None) or e)) from None
    with container:
        if not container.streams.video:
            raise VideoReadError("has no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        src_fps = float(stream.average_rate or fps)
        t0: float | None = None
        prev: np.ndarray | None = None
        prev_t = 0.0
        k = 0
        try:
            for frame in container.decode(stream):
                t = float(frame.time) if frame.time is not None else (k / src_fps)
                if t0 is None:
                    t0 = t
                    if info is not None:
                        info.start, info.fps = t0, src_fps
                t -= t0
                img = _luma(frame) if pix == "gray" else np.ascontiguousarray(frame.to_ndarray(format=pix))
                if prev is not None:
                    while k / fps < (prev_t + t) / 2:
                        yield prev
                        k += 1
                prev, prev_t = img, t
        except av.error.FFmpegError as e:
            if prev is None:
                raise VideoReadError(f"undecodable: {e.strerror or e}") from None
        if prev is None:
            raise VideoReadError("holds no frames")
        end = prev_t + 1.0 / src_fps
        while k / fps < end - 0.5 / fps:
            yield prev
            k += 1
        if info is not None:
            info.frames = k


def _luma(frame: av.VideoFrame) -> np.ndarray:
    """The Y plane of a planar YUV frame without a colour conversion (else a converted grey frame)."""
    if frame.format.name.startswith(("yuv", "yuvj")) and frame.format.name.endswith("p"):
        plane = frame.planes[0]
        rows = np.frombuffer(memoryview(plane), np.uint8).reshape(frame.height, plane.line_size)
        return np.ascontiguousarray(rows[:, : frame.width])
    return np.ascontiguousarray(frame.to_ndarray(format="gray"))


def aligned_audio(path: str | Path, sample_rate: int, start: float, n_samples: int) -> np.ndarray:
    """Mono float32 audio of `path` from time `start` (the first video frame), exactly n_samples long."""
    audio, first = decode_audio(path, sample_rate)
    shift = int(round((first - start) * sample_rate))  # > 0: audio starts after the first frame
    audio = np.concatenate([np.zeros(shift, np.float32), audio]) if shift > 0 else audio[-shift:]
    out = np.zeros(n_samples, np.float32)
    out[: min(n_samples, len(audio))] = audio[:n_samples]
    return np.clip(out, -1.0, 1.0)
