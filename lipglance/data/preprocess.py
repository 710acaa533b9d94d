"""Turn one video into a cache entry: landmarks -> smoothed mouth crops, and aligned log-mel.

Two decoding passes keep memory constant in the video length: the first tracks landmarks,
the second crops with the temporally smoothed squares. Every expected failure becomes a
`Skip` with a reason (unreadable, no audio, no face, too short), and any unforeseen fault of one
video becomes a failure record with reason "error": nothing one video does aborts the job.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from lipglance.audio import log_mel
from lipglance.config import AudioConfig
from lipglance.data.cache import Video
from lipglance.data.layouts import Source
from lipglance.data.track import FaceTracker, fill_gaps
from lipglance.face import crop_square, mouth_square, smooth_squares
from lipglance.io.audio import AudioReadError
from lipglance.io.decode import VideoReadError, VideoStreamInfo, aligned_audio, iter_frames


@dataclass(frozen=True)
class PreprocessConfig:
    audio: AudioConfig = AudioConfig()
    crop_size: int = 64
    smoothing: float = 1.5  # Gaussian sigma (frames) of the crop square track
    max_gap: int = 12  # frames without a face that are interpolated; longer -> skip the video
    min_frames: int = 17  # a 16-frame window plus one identity frame outside it
    redetect: int = 25


class Skip(Exception):
    """A video that cannot enter the cache; `reason` is one of a few fixed words."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


def crop_track(points: np.ndarray, cfg: PreprocessConfig) -> np.ndarray:
    """Per-frame smoothed crop squares [T, 3] (cx, cy, side) from 68-point landmarks [T, 68, 2]."""
    return smooth_squares(np.array([mouth_square(p) for p in points]), cfg.smoothing)


def process_video(src: Path, source: Source, cfg: PreprocessConfig) -> Video:
    path = src / source.path
    fps = cfg.audio.fps
    info = VideoStreamInfo(0.0, 0.0)
    tracker = FaceTracker(redetect=cfg.redetect)
    try:
        # dlib works on luma: the tracking pass decodes straight to grey (no colour conversion).
        points = np.stack([p for _, p in tracker.track(iter_frames(path, fps, info, pix="gray"))])
    except VideoReadError as e:
        raise Skip("unreadable", str(e)) from None
    n = len(points)
    if n < cfg.min_frames:
        raise Skip("too short", f"{n} frames at {fps} fps, need {cfg.min_frames}")
    filled = fill_gaps(points, cfg.max_gap)
    if filled is None:
        missing = int(np.isnan(points[:, 0, 0]).sum())
        raise Skip("no face", f"no face in {missing} of {n} frames (gaps over {cfg.max_gap} frames)")
    try:
        audio_path = src / source.audio if source.audio else path
        start = info.start if source.audio is None else 0.0
        wave = aligned_audio(audio_path, cfg.audio.sample_rate, start, n * cfg.audio.sample_rate // fps)
    except AudioReadError as e:
        raise Skip("no audio", str(e)) from None
    squares = crop_track(filled, cfg)
    size = cfg.crop_size
    crops = np.empty((n, size, size, 3), np.uint8)
    k = 0
    for k, frame in enumerate(iter_frames(path, fps)):
        if k >= n:
            break
        cx, cy, side = squares[k]
        crops[k] = crop_square(frame, float(cx), float(cy), float(side), size)
    if k + 1 < n:
        raise Skip("unreadable", f"second decoding pass gave {k + 1} of {n} frames")
    cx, cy, side = squares[:, 0:1], squares[:, 1:2], squares[:, 2:3]
    mouth = filled[:, 48:68]
    lms = np.stack([(mouth[..., 0] - (cx - side / 2)) * size / side,
                    (mouth[..., 1] - (cy - side / 2)) * size / side], axis=-1)
    mel = log_mel(wave, cfg.audio, n).numpy().astype(np.float16)
    meta: dict[str, Any] = {"source": source.path, "source_fps": round(info.fps, 3),
                            "missing_frames": int(np.isnan(points[:, 0, 0]).sum()),
                            "detections": tracker.stats.detections}
    return Video(id=f"{source.speaker}/{source.utterance}", speaker=source.speaker, utterance=source.utterance,
                 split=source.split, crops=crops, mel=mel, landmarks=lms.astype(np.float32), fps=fps, meta=meta)


def try_video(src: Path, source: Source, cfg: PreprocessConfig) -> Video | dict[str, str]:
    """The video, or a failure record {path, reason, detail}."""
    try:
        return process_video(src, source, cfg)
    except Skip as s:
        return {"path": source.path, "reason": s.reason, "detail": s.detail}
    except cv2.error as e:  # a corrupt frame that OpenCV cannot warp, etc.
        return {"path": source.path, "reason": "unreadable", "detail": f"OpenCV: {e.err}"}
    except Exception as e:  # noqa: BLE001 - one video's unforeseen fault must not abort the whole job
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        return {"path": source.path, "reason": "error", "detail": f"{type(e).__name__}: {first}"[:500]}
