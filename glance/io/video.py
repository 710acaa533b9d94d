"""Write H.264 (yuv420p) + AAC mp4 files with PyAV, audio aligned to frame 0.

The audio is mono samples [N] at a given rate, or a `Soundtrack` (glance.io.soundtrack): a file's own
audio at its own rate and channels, AAC at 96 kbit/s a channel, decoded while it is muxed.

Frames must be uint8 RGB [H, W, 3]; odd sizes are padded by one edge row/column (yuv420p needs even
sizes). Nothing is written for no frames, a first frame of another kind or audio with NaN or infinite
samples (ValueError); a video that fails part-way (a later bad frame, a full disk) is removed.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np

from glance.io.soundtrack import Soundtrack

# container -> (video codec, audio codec, encoder options)
FORMATS = {
    "mp4": ("libx264", "aac", {"crf": "18", "preset": "veryfast"}),
    "mpeg": ("mpeg1video", "mp2", {"qscale": "3"}),  # GRID's .mpg
    "avi": ("mpeg4", "mp3", {"qscale": "3"}),
    "mov": ("libx264", "aac", {"crf": "18", "preset": "veryfast"}),
}


def write_mp4(path: str | Path, frames: Iterable[np.ndarray], fps: int = 25,
              audio: np.ndarray | Soundtrack | None = None, sample_rate: int = 16000, crf: int = 18) -> int:
    """Encode uint8 RGB frames [H, W, 3] as H.264 (quality `crf`: 0 lossless .. 51 worst) + AAC mp4; returns
    the frame count. `audio`: mono samples at `sample_rate`, or a Soundtrack (its own rate and channels)."""
    return write_video(path, frames, fps, audio, sample_rate, "mp4", crf)


def write_video(path: str | Path, frames: Iterable[np.ndarray], fps: int = 25,
                audio: np.ndarray | Soundtrack | None = None, sample_rate: int = 16000, container: str = "mp4",
                crf: int | None = None) -> int:
    """Encode frames (+ mono audio or a Soundtrack) in `container` (mp4, mpeg, avi, mov); returns the frame count."""
    path = Path(path)
    if container not in FORMATS:
        raise ValueError(f"unknown container {container!r} (one of {', '.join(FORMATS)})")
    it = iter(frames)
    head = next(it, None)
    if head is None:
        raise ValueError("no frames to write: a video needs at least one frame")
    checked = _even_frames(itertools.chain([head], it))
    frames = itertools.chain([next(checked)], checked)  # the first frame checked before the file is opened
    if not 0 <= (crf if crf is not None else 0) <= 51:
        raise ValueError(f"crf {crf}: H.264 quality runs from 0 (lossless) to 51")
    if isinstance(audio, Soundtrack) and FORMATS[container][1] != "aac":
        raise ValueError(f"a soundtrack is written as AAC, which {container} does not hold here")
    if audio is not None and not isinstance(audio, Soundtrack):
        audio = np.asarray(audio, dtype=np.float32)
        if audio.ndim != 1 or not np.isfinite(audio).all():
            raise ValueError("the audio to write must be mono [N] with finite samples")
    f = path.open("wb")
    try:
        with f:
            sink = _Sink(f)
            _encode(sink, frames, fps, audio, sample_rate, container, crf)
            if sink.error is not None:  # a failed write (disk full): raised here, not inside PyAV's callback
                raise sink.error
    except BaseException:
        if path.is_file():  # the half-written video is removed (never a device such as /dev/null)
            path.unlink()
        raise
    return sink.frames


class _Sink:
    """A file for PyAV to write into (any file name works) that keeps the first OSError instead of raising it
    inside PyAV's I/O callback (PyAV would print a traceback there and carry on)."""

    def __init__(self, f: BinaryIO) -> None:
        self.f = f
        self.error: OSError | None = None
        self.frames = 0

    def write(self, data: bytes) -> int:
        if self.error is None:
            try:
                self.f.write(data)
            except OSError as e:
                self.error = e
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.f.seek(offset, whence)

    def tell(self) -> int:
        return self.f.tell()

    def flush(self) -> None:
        if self.error is None:
            try:
                self.f.flush()
            except OSError as e:
                self.error = e


def _encode(sink: _Sink, frames: Iterable[np.ndarray], fps: int, audio: np.ndarray | Soundtrack | None,
            sample_rate: int, container: str, crf: int | None = None) -> None:
    vcodec, acodec, options = FORMATS[container]
    n = 0
    track = audio if isinstance(audio, Soundtrack) else None
    samples = None if isinstance(audio, Soundtrack) else audio
    with av.open(sink, mode="w", format=container) as out:
        vstream: av.VideoStream = out.add_stream(vcodec, rate=fps)  # type: ignore[assignment]
        vstream.pix_fmt = "yuv420p"
        opts: dict[str, object] = {str(k): str(v) for k, v in options.items()}
        if crf is not None and "crf" in opts:
            opts["crf"] = str(crf)
        vstream.options = opts
        astream: av.AudioStream | None = None
        if track is not None:
            t: av.AudioStream = out.add_stream("aac", rate=track.rate)
            t.layout = track.layout
            t.bit_rate = track.bit_rate
            astream = t
            sample_rate = track.rate
        elif samples is not None:
            a: av.AudioStream = out.add_stream(acodec, rate=sample_rate if acodec != "mp2" else 32000)  # type: ignore[assignment]
            a.layout = "mono"
            astream = a
            if acodec == "mp2":
                samples = _resample(samples, sample_rate, 32000)
                sample_rate = 32000
        audio_done = 0
        for frame in frames:
            if sink.error is not None:  # the disk is full: stop generating
                break
            if n == 0:
                vstream.height, vstream.width = frame.shape[:2]
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
            vf.pts = n
            vf.time_base = Fraction(1, fps)
            for packet in vstream.encode(vf):
                out.mux(packet)
            n += 1
            if astream is not None and samples is not None:  # interleave: audio up to the end of this frame
                upto = min(len(samples), n * sample_rate // fps)
                _encode_audio(out, astream, samples[audio_done:upto], sample_rate, audio_done)
                audio_done = upto
            elif astream is not None and track is not None:
                piece = track.take(n * sample_rate // fps - audio_done)
                _encode_audio(out, astream, piece, sample_rate, audio_done)
                audio_done += piece.shape[-1]
        for packet in vstream.encode():
            out.mux(packet)
        if astream is not None and samples is not None:
            _encode_audio(out, astream, samples[audio_done:], sample_rate, audio_done)
        if astream is not None and track is not None:
            for piece in track.rest():
                _encode_audio(out, astream, piece, sample_rate, audio_done)
                audio_done += piece.shape[-1]
        if astream is not None:
            for packet in astream.encode():
                out.mux(packet)
    sink.frames = n


def _even_frames(frames: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
    """Check uint8 RGB frames of one size; pad odd heights/widths by repeating the last row/column."""
    size: tuple[int, ...] | None = None
    for frame in frames:
        frame = np.asarray(frame)
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8 or min(frame.shape[:2]) < 1:
            raise ValueError(f"frames must be uint8 RGB [H, W, 3], got {frame.dtype} {list(frame.shape)}")
        if size is None:
            size = frame.shape
        elif frame.shape != size:
            raise ValueError(f"frames must all have one size: {list(size)} then {list(frame.shape)}")
        h, w = frame.shape[:2]
        if h % 2 or w % 2:
            frame = np.pad(frame, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
        yield frame


def _resample(audio: np.ndarray, rate: int, new_rate: int) -> np.ndarray:
    """Linear-interpolation resampling (for codecs that cannot take the source rate)."""
    n = int(round(len(audio) * new_rate / rate))
    return np.interp(np.arange(n) * rate / new_rate, np.arange(len(audio)), audio).astype(np.float32)


def _encode_audio(out: av.container.OutputContainer, stream: av.AudioStream, audio: np.ndarray,
                  sample_rate: int, offset: int) -> None:
    """Encode float samples, mono [N] or planar [C, N], starting at sample `offset` (PyAV re-chunks them to the
    codec's frames)."""
    block = 1024
    planar = audio.ndim == 2
    layout = ("mono" if audio.shape[0] == 1 else "stereo") if planar else "mono"
    for start in range(0, audio.shape[-1], block):
        chunk = audio[:, start:start + block] if planar else audio[None, start:start + block]
        af = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk, np.float32), format="fltp" if planar else "flt",
                                        layout=layout)
        af.sample_rate = sample_rate
        af.pts = offset + start
        af.time_base = Fraction(1, sample_rate)
        for packet in stream.encode(af):
            out.mux(packet)
