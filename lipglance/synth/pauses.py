"""Pauses inside speech, heard in the sound, so that a transcript's mouth closes in them.

A forced alignment places every phone of the transcript somewhere; where the speaker pauses between words without
the aligner inserting a silence, the pause is covered by a stretched phone and the mouth would stay open through
it. `pauses` finds the quiet stretches of the audio itself and `with_pauses` makes each a silence in the phone
list (tests/test_transcript.py checks the mouth is closed in the pauses of recorded speech).
"""

from __future__ import annotations

import numpy as np

from lipglance.levels import FRAME_SECONDS, frame_levels
from lipglance.synth.phone import Phone
from lipglance.synth.phonemes import SILENCE

PAUSE_SECONDS = 0.12  # a quiet stretch at least this long is a pause (a stop's closure is shorter)
QUIET_BELOW_TOP_DB = 25.0  # quiet: this far below the loudest 1% of the 20 ms frames
ABOVE_FLOOR_DB = 6.0  # a recording whose noise floor is within this of "quiet" shows no pause (nothing to trust)
SILENCE_PIECE = 0.04  # s: a pause becomes silences this long (lipglance.synth.articulation blends one key each)
MARGIN = 0.02  # s: a pause's edges are left to the phones around it (onsets and decays are quiet too)


def pauses(audio: np.ndarray, sample_rate: int) -> list[tuple[float, float]]:
    """(start, end) in seconds of each pause: a run of quiet 20 ms frames lasting PAUSE_SECONDS or longer."""
    levels = frame_levels(audio, sample_rate)
    floor, top = (float(v) for v in np.percentile(levels, [10, 99]))
    quiet_below = top - QUIET_BELOW_TOP_DB
    if floor + ABOVE_FLOOR_DB > quiet_below:
        return []
    quiet = np.concatenate([[False], levels < quiet_below, [False]])
    edges = np.flatnonzero(np.diff(quiet.astype(np.int8)))
    runs = zip(edges[::2], edges[1::2], strict=True)  # [first quiet frame, first loud frame after it)
    need = int(np.ceil(PAUSE_SECONDS / FRAME_SECONDS))
    return [(a * FRAME_SECONDS + MARGIN, b * FRAME_SECONDS - MARGIN) for a, b in runs if b - a >= need]


def with_pauses(phones: list[Phone], spans: list[tuple[float, float]]) -> list[Phone]:
    """`phones` with each span made a silence: a phone that overlaps it keeps only its parts outside."""
    out = list(phones)
    for a, b in spans:
        kept = []
        for p in out:
            if p.end <= a or p.start >= b:
                kept.append(p)
                continue
            if p.start < a:
                kept.append(Phone(p.symbol, p.canon, p.start, a))
            if p.end > b:
                kept.append(Phone(p.symbol, p.canon, b, p.end))
        pieces = max(1, round((b - a) / SILENCE_PIECE))  # one key per piece: the silence outweighs its neighbours
        cuts = np.linspace(a, b, pieces + 1)
        silence = [Phone("SIL", SILENCE, float(x), float(y)) for x, y in zip(cuts[:-1], cuts[1:], strict=True)]
        out = sorted([*kept, *silence], key=lambda p: p.start)
    return out
