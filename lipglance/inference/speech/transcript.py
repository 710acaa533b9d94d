"""A transcript drives the mouth exactly: forced alignment of the text's phones to the speech, then their shapes.

    from lipglance.inference.speech.transcript import aligned_phones, transcript_shapes
    phones = aligned_phones(samples, 16000, "bob made a map of the palm")
    shapes = transcript_shapes(phones, n_frames)  # [n, 20, 2], as the shape renderer takes them

The speech alone does not say reliably where the lips seal (p, b, m); the words do. `aligned_phones`
(lipglance.synth.align, shared with the synthetic corpus's aligned voices) places the text's phones in the audio
with pocketsphinx (an optional dependency: `pip install 'lipglance[transcript]'`):
its bundled US English acoustic model and the CMU pronouncing dictionary, word alignment then phone alignment
(docs/sync_ablations/sphinx_text.md measures it on the held-out voice). Alignment needs the whole utterance,
so the audio is held in memory. `transcript_shapes` turns phones into mouth shapes the way the synthetic
corpus does (lipglance.synth.articulation -> lipglance.synth.geometry -> lipglance.shape.clip_shapes).
"""

from __future__ import annotations

import numpy as np

from lipglance.synth.align import (
    ALIGN_RATE,
    FRAME_RATE,
    INSTALL,
    MISMATCH_GAP,
    align_segments,
    aligned_phones,
    aligner,
    check_match,
    heard,
    match_gap,
    words_of,
)
from lipglance.synth.phone import Phone

__all__ = ["ALIGN_RATE", "FRAME_RATE", "INSTALL", "LEAD", "MISMATCH_GAP", "align_segments", "aligned_phones",
           "aligner", "check_match", "heard", "match_gap", "transcript_shapes", "words_of"]

LEAD = 0.06  # s: the visual lead of the mouth over the sound (the synthetic corpus draws 0-0.12 s)


def transcript_shapes(phones: list[Phone], n_frames: int, lead: float = LEAD) -> np.ndarray:
    """Mouth shapes [n_frames, 20, 2] of timed phones (displacements from the rest mouth in rest widths,
    lipglance.shape) at 25 frames/s: the synthetic corpus's articulation of a default mouth, each frame showing
    the sound `lead` seconds after its centre."""
    from lipglance.shape import clip_shapes
    from lipglance.synth.articulation import trajectory
    from lipglance.synth.geometry import LipShape, mouth_points

    art = trajectory(phones, n_frames, 25, lead)
    pts = np.stack([mouth_points(a, LipShape()) for a in art])
    item = {"meta": {"lead": lead, "phones": [[p.canon, p.start, p.end] for p in phones]}}
    return clip_shapes(item, pts)
