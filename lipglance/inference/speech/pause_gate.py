"""The pause gate: on the audio-only path the mouth closes in the recording's own pauses (issue 25, "silence still
closed").

The shape head draws pauses nearly closed, not closed: on recorded speech it leaves up to 0.08 rest widths of
opening in them, and a photo's mouth drawn that slightly open reads open to a viewer (and to dlib) on a fifth to a
third of pause frames (docs/DESIGN.md, "The pause gate", has the measurements). So every path that turns the head's
output into shapes (`LipSync.stream_shapes`: generate, dub, ONNX; `LiveShapes`: live) moves a frame that lies in a
pause of the recording toward the closed rest mouth (shape 0, lipglance.shape):

- quiet: a 20 ms frame level (lipglance.inference.speech.loudness.frame_levels) QUIET_DB below the recording's
  active-speech level (`level_of`, so the gain does not matter), or, in a noisy recording whose noise floor (its
  FLOOR_PERCENTILE level) lies above that, below the floor + FLOOR_DB but never closer than SPEECH_GAP_DB to the
  speech level; a level below SILENCE_DBFS (never speech) is always quiet;
- a quiet run goes on through levels less than HYSTERESIS_DB above quiet and ends at a louder one, trimmed to its
  quiet levels; a recording starts and ends in silence (a run at either end has no edge there);
- a pause: a quiet run of MIN_PAUSE or longer (stop closures and short gaps inside words are shorter: the head
  draws them as it does), or one at the recording's start or end;
- the weight of a video frame: 0 at a pause's edges, 1 from EASE inside it (a frame's time is the speech time it
  shows: its centre plus LEAD), linear between, smoothstepped: the mouth closes and opens over two or three frames
  instead of snapping, and is back to the head's shape when the speech resumes.

Whole recordings know every pause (`pause_weights`). Live (`LivePause`) knows the past and its lookahead: a quiet
run counts once its heard part reaches MIN_PAUSE, so with the default lookahead (4 frames, 160 ms) the mouth starts
closing a frame or two later than offline, and opens in time (the lookahead covers EASE); its speech level and
floor come from the last LEVEL_HISTORY seconds, so a stream's leading silence is closed only where it is digital
silence (below SILENCE_DBFS): before any speech has been heard, noise cannot be told from speech.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from lipglance.inference.speech.loudness import SILENCE_DBFS, level_of
from lipglance.inference.speech.transcript import LEAD  # a frame shows the speech this far after its centre
from lipglance.levels import FRAME_SECONDS, frame_levels

QUIET_DB = 22.0  # a 20 ms frame this far below the active-speech level is quiet,
FLOOR_DB = 4.0  # or, in a noisy recording, as quiet as this above its noise floor (capped at SPEECH_GAP_DB)
FLOOR_PERCENTILE = 5.0  # the noise floor: this percentile of the 20 ms levels
SPEECH_GAP_DB = 14.0  # quiet is always at least this far below the active-speech level
HYSTERESIS_DB = 6.0  # a quiet run ends at a frame this much louder than quiet (a noisy pause's louder frames do not)
MIN_PAUSE = 0.2  # s: a quiet run this long is a pause (stop closures and gaps inside words are shorter)
EASE = 0.08  # s: the mouth closes over this from a pause's start and opens over this before its end
HISTORY = 4.0  # s: live looks for quiet runs in this much of the past
LEVEL_HISTORY = 30.0  # s: and takes the speech level and noise floor from this much (as live loudness does)


def quiet_below(levels: np.ndarray) -> float | None:
    """The level (dBFS) under which a 20 ms level is quiet, from a recording's levels (see the module doc);
    None when nothing in them is speech (silence or steady noise: all of it is a pause)."""
    speech_db = level_of(levels)
    if speech_db is None:
        return None
    floor = float(np.percentile(levels, FLOOR_PERCENTILE))
    return max(SILENCE_DBFS, speech_db - QUIET_DB, min(floor + FLOOR_DB, speech_db - SPEECH_GAP_DB))


def quiet_runs(levels: np.ndarray, below: float | None) -> list[tuple[int, int]]:
    """[first, end) 20 ms frames of each quiet run of `levels` under `below` (`quiet_below`; None: all quiet)."""
    if below is None:
        return [(0, len(levels))] if len(levels) else []
    quiet, loud = levels < below, levels >= below + HYSTERESIS_DB
    runs, start, last = [], (0 if len(levels) and not loud[0] else -1), -1  # a recording starts in silence
    for i in range(len(levels)):
        if start < 0:
            if quiet[i]:
                start = last = i
        elif loud[i]:
            if last >= start:
                runs.append((start, last + 1))
            start = -1
        elif quiet[i]:
            last = i
    if start >= 0:
        runs.append((start, len(levels)))  # still quiet at the end: untrimmed, a recording ends in silence
    return runs


def pause_spans(levels: np.ndarray, below: float | None, offset: float = 0.0, first: bool = True,
                last: bool = True) -> list[tuple[float, float]]:
    """(start, end) seconds of the pauses among 20 ms frame levels whose first frame starts at `offset`. A quiet run
    at the recording's start (`first`: the levels begin there) or end (`last`: they end there) is a pause whatever
    its length and has no edge there (-inf, inf): no word lies beyond it."""
    out = []
    for a, b in quiet_runs(levels, below):
        start = -np.inf if first and a == 0 else offset + a * FRAME_SECONDS
        end = np.inf if last and b == len(levels) else offset + b * FRAME_SECONDS
        if end - start >= MIN_PAUSE - 1e-9:
            out.append((start, end))
    return out


def ease_frames(fps: int) -> int:
    """Video frames the mouth takes to close or open (EASE, at least one)."""
    return max(1, int(round(EASE * fps)))


def eased(raw: float | np.ndarray) -> float | np.ndarray:
    """Smoothstep of linear weights in [0, 1]."""
    return raw * raw * (3.0 - 2.0 * raw)


def ramp(t: np.ndarray | float, a: float, b: float) -> np.ndarray:
    """The linear weight at visual times `t` of the pause (a, b): 0 at its edges and outside, 1 from EASE inside;
    continuous in t, so no frame jumps from the head's shape to the closed mouth."""
    tt = np.asarray(t, np.float64)
    return np.clip(np.minimum(tt - a, b - tt) / EASE, 0.0, 1.0)


def pause_weights(audio: np.ndarray, sample_rate: int, n: int, fps: int) -> np.ndarray:
    """Per video frame [n] the weight of the closed rest mouth (0: the head's shape) for mono `audio`."""
    levels = frame_levels(audio, sample_rate)
    t = (np.arange(n) + 0.5) / fps + LEAD
    raw = np.zeros(n)
    for a, b in pause_spans(levels, quiet_below(levels)):
        raw = np.maximum(raw, ramp(t, a, b))
    return np.asarray(eased(raw))


def closed(shape: np.ndarray, weight: float) -> np.ndarray:
    """A shape [20, 2] moved toward the closed rest mouth (0) by `weight`."""
    return shape if weight <= 0.0 else shape * np.float32(1.0 - weight)


class LivePause:
    """The pause gate causally: each video frame's audio as it arrives (`push`), then that frame's weight (`weight`,
    frames in order, each once the audio up to `known` has been heard): a pause counts once its heard part is
    MIN_PAUSE long, and one still quiet at the newest level is taken to go on; the quiet level comes from the last
    LEVEL_HISTORY seconds; the weight moves by at most 1 / ease_frames a frame, so a pause found late still closes the
    mouth smoothly."""

    def __init__(self, sample_rate: int, fps: int) -> None:
        self.rate, self.fps = sample_rate, fps
        self.levels: deque[float] = deque(maxlen=int(round(LEVEL_HISTORY / FRAME_SECONDS)))
        self.count = 0  # 20 ms levels heard in all
        self.rest = np.zeros(0, np.float32)  # samples not yet a whole 20 ms level
        self.raw = 0.0

    def push(self, samples: np.ndarray) -> None:
        """Take the next mono float samples."""
        n = max(1, int(round(FRAME_SECONDS * self.rate)))
        data = np.concatenate([self.rest, np.asarray(samples, np.float32)])
        k = len(data) // n
        if k:
            self.levels.extend(frame_levels(data[:k * n], self.rate).tolist())
            self.count += k
        self.rest = data[k * n:].copy()

    def weight(self, frame: int) -> float:
        """The closed rest mouth's weight for video frame `frame`."""
        t = (frame + 0.5) / self.fps + LEAD
        every = np.fromiter(self.levels, np.float64, len(self.levels))
        recent = every[-int(round(HISTORY / FRAME_SECONDS)):]
        known = self.count * FRAME_SECONDS
        target = 0.0
        below = quiet_below(every) if len(every) else None
        for a, b in pause_spans(recent, below, known - len(recent) * FRAME_SECONDS, first=self.count == len(recent),
                                last=False):
            target = max(target, float(ramp(t, a, np.inf if b >= known - 1e-9 else b)))
        step = 1.0 / ease_frames(self.fps)
        self.raw = min(target, self.raw + step) if target > self.raw else max(target, self.raw - step)  # no jumps
        return float(eased(self.raw))
