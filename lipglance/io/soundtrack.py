"""The output video's soundtrack: the input's own audio at its own sample rate and channels, decoded as it is muxed.

The model hears mono 16 kHz (lipglance.io.audio); the viewer hears the original. Mono stays mono, two or more
channels become stereo (AAC in mp4 takes no arbitrary layouts); a rate AAC cannot take is raised to the
next one it can (at most 96 kHz). Samples are decoded a piece at a time while the video is written, so
memory does not grow with the length. Like `load_audio`, the track starts at the first decoded sample.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np

from lipglance.io.audio import AudioReadError, _frames, _shown, open_audio

AAC_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000)
BITRATE_PER_CHANNEL = 96_000  # bit/s: transparent enough for speech in AAC-LC (192 kbit/s for stereo)


def aac_rate(rate: int) -> int:
    """The AAC sample rate for a source rate: the same when AAC has it, else the next higher (96 kHz at most)."""
    return next((r for r in AAC_RATES if r >= rate), AAC_RATES[-1])


class Soundtrack:
    """Float32 planar samples [channels, n] of an audio (or video) file's first audio stream, read in order."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        shown = _shown(self.path)
        try:
            with open_audio(self.path) as (_, stream):
                ctx = stream.codec_context
                rate, channels = int(ctx.sample_rate or 0), int(ctx.channels or 1)
        except (av.error.FFmpegError, OSError) as e:
            raise AudioReadError(f"{shown}: not a readable audio file ({e.strerror or e})") from None
        self.rate = aac_rate(rate)
        self.channels = 1 if channels == 1 else 2
        self.layout = "mono" if self.channels == 1 else "stereo"
        self.bit_rate = BITRATE_PER_CHANNEL * self.channels
        self._pieces = self._decode()
        self._buffer = np.zeros((self.channels, 0), np.float32)
        self._done = False

    def _decode(self) -> Iterator[np.ndarray]:
        with open_audio(self.path) as (container, stream):
            resampler: av.AudioResampler | None = None
            setup: tuple[int, str, str] | None = None
            try:
                for frame in _frames(container, stream, _shown(self.path)):  # skips what load_audio skips
                    now = (frame.sample_rate, frame.layout.name, frame.format.name)
                    if now != setup:  # the stream changed rate or layout mid-file: a new resampler
                        if resampler is not None:
                            yield from (p.to_ndarray() for p in resampler.resample(None))
                        resampler = av.AudioResampler(format="fltp", layout=self.layout, rate=self.rate)
                        setup = now
                    assert resampler is not None
                    yield from (p.to_ndarray() for p in resampler.resample(frame))
            except (av.error.FFmpegError, AudioReadError):
                pass  # a damaged tail: the track ends where the decodable sound ends (as load_audio's does)
            if resampler is not None:
                yield from (p.to_ndarray() for p in resampler.resample(None))

    def take(self, count: int) -> np.ndarray:
        """The next `count` samples [channels, <= count] (fewer at the end)."""
        while self._buffer.shape[1] < count and not self._done:
            piece = next(self._pieces, None)
            if piece is None:
                self._done = True
            else:
                piece = np.nan_to_num(np.asarray(piece, np.float32).reshape(self.channels, -1))
                self._buffer = np.concatenate([self._buffer, np.clip(piece, -1.0, 1.0)], axis=1)
        out, self._buffer = self._buffer[:, :count], self._buffer[:, count:]
        return out

    def rest(self) -> Iterator[np.ndarray]:
        """Everything not taken yet, in pieces."""
        while True:
            piece = self.take(1 << 16)
            if piece.shape[1] == 0:
                return
            yield piece
