"""A timed phone: what every TTS engine, the aligner and the articulation share."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Phone:
    symbol: str  # as the engine wrote it
    canon: str  # normalised (lipglance.synth.phonemes.CANON)
    start: float  # seconds
    end: float
