"""Dubbing (beyond the paper): a video + new speech -> the video with its mouth re-rendered to the speech.

The video is decoded at 25 frames/s (the model's rate; the source frame nearest each 25 fps tick, as
`lipglance preprocess` does: lipglance.io.decode) at its own resolution. Its face is tracked in every frame
(lipglance.inference.video.track: the preprocessing tracker, smoothed), and in every frame with a face the shape
renderer (lipglance.inference.render.shape, prepared per frame with the speaker's rest mouth width:
lipglance.inference.video.dub_render)
closes the original mouth and moves the frame's own lips to the mouth shape the model's shape head
predicts from the new speech, inside a box around the mouth and jaw; everything
else, the head's own motion included, is the video's. Frames without a face pass through unchanged (and
are counted). The output has one frame per 25 fps tick of the speech: a longer video is cut, a shorter one
plays forward, backward, forward... (ping-pong, via a temporary on-disk store: lipglance.inference.video.store).

Streams: decoding, tracking, rendering and encoding hold a few frames at a time, so memory does not grow
with the video or the speech. A video with no face at all is refused before the first frame: a scan ahead
(`scan_for_face`) decodes the frames the dub will use (grey, no tracking) until the detector finds the face;
a face the tracker finds only in a few frames between the detector's tries is known at the end (the error
is raised then; the CLI writes nothing).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import av
import numpy as np

from lipglance.errors import UserError
from lipglance.inference.model.inputs import AudioInput, as_audio, check_duration
from lipglance.inference.render.shape import AMPLITUDE, check_amplitude
from lipglance.inference.render.tongue import Tongue
from lipglance.inference.video.dub_render import DubRenderer
from lipglance.inference.video.store import FrameStore, pingpong
from lipglance.inference.video.track import Tracked, first_face, track_video
from lipglance.io.decode import VideoReadError, iter_frames
from lipglance.io.outputs import shown
from lipglance.io.prefetch import Prefetch

if TYPE_CHECKING:
    from lipglance.inference.model.protocol import SpeechModel

FPS = 25  # frames/s the video is read at (the model's rate)
MAX_SIDE = 4096  # px: larger videos are refused (4K UHD is 3840x2160)
MARGIN = FPS  # frames: a header length this much above the speech's skips the ping-pong store


@dataclass
class VideoInfo:
    width: int
    height: int
    frames: int | None  # at 25 fps, from the header (None: the header does not say)


@dataclass
class DubStats:
    frames: int = 0  # output frames made
    faceless: int = 0  # of them, passed through unchanged: no face tracked
    video_frames: int | None = None  # the video's frames at 25 fps, once it was read to its end
    reused: int = 0  # of them, with the inside of the mouth taken from the video's own open mouths

    def summary(self, fps: int = FPS) -> str:
        """One line: faceless frames, and how the video was fitted to the speech."""
        text = f"{self.faceless} of {self.frames} frames without a face passed through unchanged"
        if self.video_frames is not None and self.video_frames < self.frames:
            text += (f"; the {self.video_frames / FPS:.2f}-s video played forward and back (ping-pong) to cover "
                     f"the speech")
        elif self.video_frames is None or self.video_frames > self.frames:
            text += "; the video cut to the speech's length"
        return text


def probe_video(path: str | Path) -> VideoInfo:
    """Size and header length of a video, its first frame decoded; a one-line UserError for a corrupt file, one
    without a video stream or frames, or one too large."""
    name = shown(path)
    try:
        first = iter_frames(path, FPS)
        frame = next(first)
        getattr(first, "close", lambda: None)()
    except VideoReadError as e:
        raise UserError(f"{name}: not a readable video ({e}): give a video file with a face (mp4, mov, mkv, "
                        "webm, avi, mpg)") from None
    height, width = frame.shape[:2]
    if max(width, height) > MAX_SIDE:
        raise UserError(f"{name}: the video is {width}x{height} px; glance dubs videos up to {MAX_SIDE} px a side")
    frames = None
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            seconds = (float(stream.duration * stream.time_base) if stream.duration and stream.time_base
                       else container.duration / 1e6 if container.duration else None)
            frames = None if seconds is None else int(round(seconds * FPS))
    except (av.error.FFmpegError, OSError, IndexError):
        frames = None
    return VideoInfo(width, height, frames)


def dub_stream(model: SpeechModel, audio: AudioInput, video: str | Path, face_index: int = 0,
               stats: DubStats | None = None, transcript: str | None = None, *,
               sample_rate: int | None = None, amplitude: float = 1.0) -> Iterator[np.ndarray]:
    """Dubbing: the frames of `video` (a file) with its mouth re-rendered to `audio` in every frame (uint8 RGB at
    the video's size, 25/s, one per 40 ms of audio: the video cut, or played forward and back); frames without a
    face pass through unchanged, counted in `stats` (if given) as they come. `audio`: a path or samples at
    `sample_rate`, as `LipSync.stream` takes it. `transcript`: the words spoken; the mouth then follows their
    force-aligned phones (lipglance.inference.speech.transcript) instead of the shape head, and the tongue's tip
    shows on th and l (lipglance.inference.render.tongue). `amplitude` scales the movement (1: calibrated,
    lipglance.inference.render.shape). Bad input is refused here, before the first frame, a video without any face
    included (see the module doc)."""
    audio = as_audio(audio, model.sample_rate, sample_rate)
    if face_index < 0:
        raise UserError(f"face_index {face_index}: faces count from 0 (the largest)")
    if model.shape_gate() is None:
        raise UserError("dubbing needs a model with a shape head (the bundled one has it): train one with "
                        "`lipglance train shape`")
    check_duration(audio, model.sample_rate, model.fps)
    gain = AMPLITUDE * check_amplitude(amplitude)
    info = probe_video(video)
    n = model.frame_count(len(audio))
    scan_for_face(Path(video), n, face_index)
    stats = stats if stats is not None else DubStats()
    shapes: Iterator[np.ndarray]
    tongues: Iterator[Tongue | None] = itertools.repeat(None)
    if transcript is None:  # the tongue track's raised tip, where the model has one
        shapes, tongues = model.stream_shapes(audio), itertools.chain(model.stream_tongues(audio), tongues)
    else:  # the phones known: the tongue's tip on th and l too (render.tongue)
        aligned, cues = model.transcript_cues(audio, transcript)
        shapes, tongues = iter(aligned), itertools.chain(cues, itertools.repeat(None))
    source = _source(Path(video), n, info, face_index, stats)
    return _dubbed(zip(source, shapes, tongues, strict=False), Path(video), stats, face_index, gain)


def dub(model: SpeechModel, audio: AudioInput, video: str | Path, out: str | Path, face_index: int = 0, *,
        sample_rate: int | None = None, crf: int = 18, transcript: str | None = None,
        amplitude: float = 1.0) -> DubStats:
    """`dub_stream` written as the mp4 `out` with the new audio as its sound (a file's own); returns the counts
    (frames, faceless, video_frames); `amplitude` as in `dub_stream`. Nothing is left at `out` when it fails."""
    stats = DubStats()
    frames = dub_stream(model, audio, video, face_index, stats, transcript, sample_rate=sample_rate,
                        amplitude=amplitude)
    if isinstance(audio, (str, Path)):
        model.save(out, frames, audio, fps=model.fps, crf=crf)
    else:
        model.save(out, frames, as_audio(audio, model.sample_rate, sample_rate), model.sample_rate, model.fps, crf)
    return stats


def scan_for_face(video: Path, n: int, face_index: int = 0) -> None:
    """Return once one of the first `n` frames (at 25 fps) of `video` shows face number `face_index` to the
    tracker's detector; a one-line UserError when none does (read as grey frames, nothing tracked)."""
    frames = iter_frames(video, FPS, pix="gray")
    try:
        if first_face(itertools.islice(frames, n), face_index) is not None:
            return
    except VideoReadError:
        return  # a damaged tail: the dub itself reports what it can read
    finally:
        getattr(frames, "close", lambda: None)()
    _no_face(video, face_index, n)


def _no_face(video: Path, face_index: int, frames: int) -> None:
    if face_index > 0:
        raise UserError(f"{shown(video)}: no face number {face_index} (0 = the largest) found in the video (in any "
                        f"of the {frames} frames used)")
    raise UserError(f"{shown(video)}: no face found in the video (in any of the {frames} frames used): "
                    "give a video with a visible frontal face")


def _dubbed(pairs: Iterator[tuple[Tracked, np.ndarray, Tongue | None]], video: Path, stats: DubStats,
            face_index: int = 0, gain: float = AMPLITUDE) -> Iterator[np.ndarray]:
    faces = 0
    renderer = DubRenderer(gain=gain)
    for (frame, points), shape, tongue in pairs:
        stats.frames += 1
        if points is None:
            stats.faceless += 1
            yield frame
            continue
        faces += 1
        out = renderer.frame(frame, points, shape, tongue)
        stats.reused = renderer.mouths.reused
        yield out
    if faces == 0:
        _no_face(video, face_index, stats.frames)


def _forward(video: Path, face_index: int, store: FrameStore | None) -> Iterator[Tracked]:
    """The video's frames with their landmarks, decoded in a thread of its own; each also put in `store`."""
    with Prefetch(iter_frames(video, FPS), depth=4) as frames:
        for frame, points in track_video(frames, face_index):
            if store is not None:
                store.append(frame, points)
            yield frame, points


def _source(video: Path, n: int, info: VideoInfo, face_index: int, stats: DubStats) -> Iterator[Tracked]:
    """`n` tracked frames: the video forward, cut at `n`, or ping-ponged from a store when it is shorter."""
    store = FrameStore() if info.frames is None or info.frames < n + MARGIN else None
    try:
        count = 0
        for item in _forward(video, face_index, store):
            if count == n:
                return
            yield item
            count += 1
        stats.video_frames = count
        if count >= n:
            return
        if store is None:  # the header promised more frames than the video holds: store them now
            store = FrameStore()
            for _ in _forward(video, face_index, store):
                pass
        store.flush()
        for i in range(count, n):
            yield store[pingpong(i, store.count)]
    finally:
        if store is not None:
            store.close()
