"""Live lip sync: audio chunks in as they arrive -> one frame out per 40 ms of audio, with a fixed lookahead.

The offline path (`LipSync.stream`) cross-fades 16-frame windows at hop 8, so a frame is final only once the
window after it is computed: up to 15 frames (600 ms) of future audio, plus the mel analysis tail. Live, one
window is run per video frame instead (hop 1): when the audio of frame t + L has arrived, the window of frames
t + L - 15 .. t + L is analysed and frame t is read at its position 15 - L. So:

    lookahead = L frames = L * 40 ms (at 25 fps; default L = LOOKAHEAD_FRAMES = 4: 160 ms)

counted from the end of frame t's own 40 ms of audio. The mel frames of the newest frame would need 22 ms
(n_fft / 2 - hop samples) more audio; they get zeros instead (the window's far end, L frames past the frame read),
so no audio beyond frame t + L is waited for. Frame t comes out after `lookahead + compute` (one shape-head window,
one warp, a JPEG where a page shows it). The shorter the lookahead, the further the mouth lies from the offline
path's: on the bundled sample the opening's mean error is 0.006 rest widths at L = 4, 0.015 at L = 2, 0.034 at
L = 0 (benchmarks/bench_live.py prints them; tests/test_live_stream.py checks L = 4). The p/b/m closures are
decided by the shape head's own gate: a model's seal track (`lipglance seal`) hears chunks of about 2 s, too much
future for a live budget, so live mouths close less often on p/b/m than offline ones (docs/RESULTS.md, "The seal
track").

Loudness: `lipglance.inference.speech.loudness` levels a whole utterance with one gain; live there is only the past, so
`RunningLevel` applies the same rule to the last LEVEL_SECONDS of 20 ms frame levels (silence: gain 1).
Pauses: `lipglance.inference.speech.pause_gate.LivePause` closes the mouth in the stream's pauses from the past and
the lookahead (a frame or two later than offline at L = 4; a stream's leading silence only where it is digital
silence). Memory is fixed: the audio ring holds one window (+1 frame), the level rings LEVEL_SECONDS and the pause
gate's LEVEL_HISTORY, a partial frame under 40 ms; nothing grows with the stream's length. A face photo blinks and
sways at its idle amplitude (lipglance.inference.render.living; the speech-driven part of the sway would need the
whole recording's level).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import numpy as np
import torch

from lipglance.audio import log_mel_range
from lipglance.errors import UserError
from lipglance.inference.model.inputs import ImageInput, as_image
from lipglance.inference.model.windows import gated_shape
from lipglance.inference.render.living import LivingFace, Move
from lipglance.inference.render.shape import ShapeWarp
from lipglance.inference.speech.loudness import gain_for, level_of
from lipglance.inference.speech.pause_gate import LivePause, closed
from lipglance.io.audio import check_samples
from lipglance.levels import FRAME_SECONDS, frame_levels

if TYPE_CHECKING:
    from lipglance.inference.model.protocol import SpeechModel

LOOKAHEAD_FRAMES = 4  # frames of future audio each frame waits for (160 ms at 25 fps)
LEVEL_SECONDS = 30.0  # the running loudness looks this far back


def lookahead_ms(frames: int = LOOKAHEAD_FRAMES, fps: int = 25) -> float:
    """The algorithmic lookahead of `frames` frames in milliseconds (see the module doc)."""
    return 1000.0 * frames / fps


class RunningLevel:
    """A causal `lipglance.inference.speech.loudness.level_gain`: the same active-speech rule over the last
    `seconds`."""

    def __init__(self, sample_rate: int, seconds: float = LEVEL_SECONDS) -> None:
        self.n, self.rate = max(1, int(round(FRAME_SECONDS * sample_rate))), sample_rate
        self.levels: deque[float] = deque(maxlen=max(1, int(seconds / FRAME_SECONDS)))
        self.rest = np.zeros(0, np.float32)  # < n samples not yet a whole 20 ms frame
        self.gain = 1.0

    def push(self, samples: np.ndarray) -> float:
        """Take mono float samples; return the gain that brings the speech heard so far to the corpus level."""
        data = np.concatenate([self.rest, samples])
        k = len(data) // self.n
        if k:
            self.levels.extend(frame_levels(data[:k * self.n], self.rate).tolist())
            self.gain = gain_for(level_of(np.fromiter(self.levels, np.float64, len(self.levels))))
        self.rest = data[k * self.n:].copy()
        return self.gain


class LiveShapes:
    """Mono audio chunks (any sizes) -> the shape head's mouth shape [20, 2] per frame, `lookahead` frames late."""

    def __init__(self, model: SpeechModel, lookahead: int = LOOKAHEAD_FRAMES) -> None:
        g, a = model.config.generator, model.config.audio
        if model.shape_gate() is None:
            raise UserError("live needs a model with a shape head (the bundled one has it): train one with "
                            "`lipglance train shape`")
        if not isinstance(lookahead, int) or not 0 <= lookahead < g.frames:
            raise UserError(f"lookahead {lookahead!r}: give a whole number of frames from 0 to {g.frames - 1}")
        self.model, self.lookahead, self.frames = model, lookahead, g.frames
        self.spf = a.sample_rate // a.fps  # samples per video frame
        self.ring = np.zeros((g.frames + 1) * self.spf, np.float32)  # one window + the frame before it
        self.rest = np.zeros(0, np.float32)  # < spf samples not yet a whole frame
        self.level = RunningLevel(a.sample_rate) if model.level else None
        self.pause = LivePause(a.sample_rate, a.fps) if model.pause else None
        self.frames_in = 0  # whole frames in the ring (the flush's silence too)
        self.heard = 0  # whole frames of audio taken
        self.frames_out = 0  # shapes given

    def push(self, chunk: np.ndarray) -> list[np.ndarray]:
        """Take the next samples (mono, at the model's rate; int16 or float in [-1, 1]); return the shapes that
        became final: one per whole frame of audio once the first `lookahead` frames have arrived."""
        if np.asarray(chunk).size == 0:
            return []
        data = np.concatenate([self.rest, check_samples(chunk, self.model.sample_rate)])
        k = len(data) // self.spf
        out = [self._take(data[i * self.spf:(i + 1) * self.spf], True) for i in range(k)]
        self.rest = data[k * self.spf:].copy()
        return [s for s in out if s is not None]

    def flush(self) -> list[np.ndarray]:
        """The end of the stream: the last frames, with silence as their lookahead (a partial frame counts as one,
        so a whole recording gives `LipSync.frame_count` shapes)."""
        out = []
        if len(self.rest):
            out.append(self._take(np.pad(self.rest, (0, self.spf - len(self.rest))), True))
            self.rest = np.zeros(0, np.float32)
        silence = np.zeros(self.spf, np.float32)
        while self.frames_out < self.heard:
            out.append(self._take(silence, False))
        return [s for s in out if s is not None]

    def _take(self, frame: np.ndarray, heard: bool) -> np.ndarray | None:
        """One frame of audio into the ring; the shape of frame `frames_out`, once the lookahead has arrived."""
        if heard:
            self.heard += 1
            if self.level is not None:
                self.level.push(frame)
            if self.pause is not None:
                self.pause.push(frame)
        self.ring[:-self.spf] = self.ring[self.spf:]
        self.ring[-self.spf:] = frame
        self.frames_in += 1
        if self.frames_in <= self.lookahead:
            return None
        self.frames_out += 1
        shape = self._shape()
        return shape if self.pause is None else closed(shape, self.pause.weight(self.frames_out - 1))

    @torch.inference_mode()
    def _shape(self) -> np.ndarray:
        m = self.model
        gate = m.shape_gate()
        assert gate is not None
        gain = self.level.gain if self.level is not None else 1.0
        wave = torch.from_numpy(self.ring * np.float32(gain))
        mpf = m.config.audio.mels_per_frame
        mel = log_mel_range(wave, m.config.audio, mpf, self.frames * mpf)  # the window's frames; zeros past the end
        x = m.audio_stats.normalize(mel)[None, None].to(m.device)
        return gated_shape(m.head_parts(x)[0, self.frames - 1 - self.lookahead], *gate,
                           m.config.generator.shape_width_gain)


class LiveFace:
    """A face photo (or lip crop) that talks back live: audio chunks in, frames [H, W, 3] uint8 out (the shape
    renderer; blinks and an idle sway on a face photo unless `still`)."""

    def __init__(self, model: SpeechModel, image: ImageInput, *, lookahead: int = LOOKAHEAD_FRAMES,
                 face_index: int = 0, box: tuple[int, int, int, int] | None = None, still: bool = False,
                 seed: int = 0, amplitude: float = 1.0, keep_expression: bool = False) -> None:
        from lipglance.inference.faces.find import check_image
        from lipglance.inference.render.paste import find_face

        self.shapes = LiveShapes(model, lookahead)
        picture = as_image(image)
        model.renderer(picture, "shape", photo=box is not None)
        face = None if check_image(picture) and box is None else \
            find_face(picture, face_index, model.config.generator.image_size, box)
        warp = model.prepare_warp(picture, face_index, ShapeWarp, box, target=face)
        assert isinstance(warp, ShapeWarp)
        self.warp = warp.tuned(amplitude, keep_expression)
        self.relax = self.warp.relaxer(model.fps)
        self.living: LivingFace | None = None
        if not still and face is not None and face.face is not None:
            self.living = LivingFace.for_face(face.face, face.photo)
            self.moves = self.living.moves(np.zeros(1, np.float32), model.sample_rate, model.fps, seed)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the frames."""
        return self.warp.image.shape[1], self.warp.image.shape[0]

    def push(self, chunk: np.ndarray) -> list[np.ndarray]:
        """Frames that became final with these samples (see `LiveShapes.push`)."""
        return [self._render(s) for s in self.shapes.push(chunk)]

    def flush(self) -> list[np.ndarray]:
        return [self._render(s) for s in self.shapes.flush()]

    def _render(self, shape: np.ndarray) -> np.ndarray:
        frame = self.warp.frame(shape, expression=None if self.relax is None else self.relax.advance(shape))
        if self.living is None:
            return frame
        move: Move = next(self.moves)
        return self.living.apply(frame, move)


def stream_live(model: SpeechModel, chunks: Iterable[np.ndarray], image: ImageInput, *, lookahead: int | None = None,
                face_index: int = 0, box: tuple[int, int, int, int] | None = None, still: bool = False,
                seed: int = 0, amplitude: float = 1.0, keep_expression: bool = False) -> Iterator[np.ndarray]:
    """Live: mono audio chunks at the model's rate (any sizes, as they arrive) -> one frame per 40 ms of audio,
    each `lookahead` frames (default 4: 160 ms) after its audio, plus compute; memory stays fixed however long the
    stream. The shape renderer; a face photo blinks and sways, unless `still`; `amplitude` and `keep_expression`
    as in `LipSync.stream`.
    Run it with torch.set_num_threads(1): each frame's window is too small to share between threads."""
    live = LiveFace(model, image, lookahead=LOOKAHEAD_FRAMES if lookahead is None else lookahead,
                    face_index=face_index, box=box, still=still, seed=seed, amplitude=amplitude,
                    keep_expression=keep_expression)
    for chunk in chunks:
        yield from live.push(chunk)
    yield from live.flush()
