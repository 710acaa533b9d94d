"""Forced alignment of a known text's phones to speech, with pocketsphinx (an optional dependency: `pip install
'lipglance[transcript]'`): its bundled US English acoustic model and the CMU pronouncing dictionary, word alignment
then phone alignment; the speech's own pauses made silences (lipglance.synth.pauses). The transcript path
(lipglance.inference.speech.transcript) drives a mouth with it; the RHVoice and Kokoro voices of the synthetic corpus
(lipglance.synth.tts) get their phone times from it.
"""

from __future__ import annotations

import os
import re
from typing import Any

import numpy as np

from lipglance.errors import UserError
from lipglance.synth.pauses import pauses, with_pauses
from lipglance.synth.phone import Phone
from lipglance.synth.phonemes import SILENCE, canonical

ALIGN_RATE = 16000  # Hz: the rate of pocketsphinx's en-us acoustic model
FRAME_RATE = 100  # pocketsphinx frames per second
# A transcript is refused when its alignment scores this much worse per 10 ms frame than the alignment of the words
# pocketsphinx itself recognises in the speech: right transcripts of recorded and synthetic speech come within 1.4,
# wrong ones 15 or more below (benchmarks/bench_transcript_match.py, docs/transcript_match.json)
MISMATCH_GAP = 6.0
INSTALL = "the transcript needs pocketsphinx: pip install 'lipglance[transcript]'"
# Apostrophe look-alikes -> ', dashes and slashes -> a word break; other punctuation around a word is dropped.
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
_BREAKS = re.compile(r"[\s\-\u2010-\u2015/]+")
_EDGES = ".,;:!?\"'()[]{}\u201c\u201d\u00ab\u00bb\u2026*_"


def words_of(text: str) -> list[str]:
    """The words of a transcript as the dictionary spells them (lower case, outer punctuation dropped);
    UserError when it holds none."""
    words = [w.strip(_EDGES) for w in _BREAKS.split(text.translate(_QUOTES).lower())]
    words = [w for w in words if w]
    if not words:
        raise UserError("the transcript is empty: give the words that are spoken")
    return words


def aligner(language_model: bool = False) -> Any:
    """A fresh pocketsphinx decoder: the bundled en-us acoustic model and CMU dictionary, no language model for
    forced alignment, its en-us language model to recognise (a reused decoder carries its cepstral mean from one
    utterance into the next)."""
    try:
        from pocketsphinx import Config, Decoder, get_model_path
    except ImportError:
        raise UserError(INSTALL) from None
    model = os.path.join(get_model_path(), "en-us")
    lm = os.path.join(model, "en-us.lm.bin") if language_model else None
    return Decoder(Config(hmm=os.path.join(model, "en-us"), lm=lm,
                          dict=os.path.join(model, "cmudict-en-us.dict"), loglevel="FATAL"))


def _canon(name: str) -> str:
    """A pocketsphinx phone (upper-case ARPAbet; SIL and +FILLER+ for silence and noise) -> canonical name."""
    if name == "SIL" or name.startswith("+"):
        return SILENCE
    try:
        return canonical(name.lower(), "flite")  # flite speaks the same CMU phone set, in lower case
    except KeyError:
        raise UserError(f"the aligner gave an unknown phone {name!r}") from None


def aligned_phones(audio: np.ndarray, sample_rate: int, text: str, check: bool = True) -> list[Phone]:
    """The phones of `text` placed in mono float `audio` at `sample_rate` by forced alignment, with
    canonical names (lipglance.synth.phonemes) and times in seconds. UserError: empty text, words the
    dictionary lacks (named), speech too short, an alignment that fails, or (with `check`) a transcript far
    from what pocketsphinx hears (`check=False` skips that recognition pass, for text known to be spoken)."""
    words = words_of(text)
    decoder = aligner()
    missing = sorted({w for w in words if decoder.lookup_word(w) is None})
    if missing:
        raise UserError(f"the transcript has words the pronouncing dictionary lacks: {', '.join(missing)} "
                        "(spell numbers and symbols out as words)")
    wave = np.asarray(audio, np.float32).reshape(-1)
    if sample_rate != ALIGN_RATE:
        from lipglance.io.audio import resample

        wave = resample(wave, sample_rate, ALIGN_RATE)
    if len(wave) < ALIGN_RATE // 10:
        raise UserError("the speech is too short to align a transcript to (under 0.1 s)")
    pcm = pcm16(wave)
    segs, score = _align(decoder, pcm, words)
    if check:
        check_match(pcm, score)
    phones = [Phone(name, _canon(name), start / FRAME_RATE, (start + count) / FRAME_RATE)
              for name, start, count, _ in segs]
    return with_pauses(phones, pauses(wave, ALIGN_RATE))


def pcm16(wave: np.ndarray) -> bytes:
    """Float samples in [-1, 1] as the little-endian int16 bytes pocketsphinx reads."""
    return (np.clip(wave, -1.0, 1.0) * 32767).round().astype("<i2").tobytes()


def heard(pcm: bytes) -> str:
    """The words pocketsphinx recognises in 16 kHz int16 `pcm` with its en-us language model ("" for none)."""
    decoder = aligner(language_model=True)
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    hyp = decoder.hyp()
    return hyp.hypstr.strip() if hyp is not None else ""


def match_gap(pcm: bytes, score: float) -> tuple[float, str] | None:
    """(how much worse per 10 ms frame a transcript's alignment `score` is than that of the words pocketsphinx
    recognises, those words); None when it recognises none or cannot align them."""
    words = heard(pcm).split()
    if not words:
        return None
    try:
        _, reference = _align(aligner(), pcm, words)
    except UserError:
        return None
    return reference - score, " ".join(words)


def check_match(pcm: bytes, score: float) -> None:
    """UserError when the transcript is far from what is said (MISMATCH_GAP), naming what pocketsphinx hears."""
    gap = match_gap(pcm, score)
    if gap is not None and gap[0] > MISMATCH_GAP:
        said = gap[1] if len(gap[1]) <= 60 else gap[1][:57].rsplit(" ", 1)[0] + " ..."
        raise UserError(f"the transcript does not match the speech: pocketsphinx hears something like \"{said}\" "
                        f"and aligns the transcript {gap[0]:.0f} points a frame worse (at most {MISMATCH_GAP:.0f} "
                        "is taken): give the words that are spoken, or leave the transcript out")


def align_segments(decoder: Any, pcm: bytes, words: list[str]) -> list[tuple[str, int, int]]:
    """Pocketsphinx phones (name, first frame, frames; 100 frames/s) of `words` (in the dictionary) force-aligned
    to 16 kHz int16 `pcm`: the word alignment pass, then the phone pass. UserError when it fails."""
    return [(name, start, count) for name, start, count, _ in _align(decoder, pcm, words)[0]]


def _align(decoder: Any, pcm: bytes, words: list[str]) -> tuple[list[tuple[str, int, int, int]], float]:
    """`align_segments` with each phone's acoustic score, and their mean score per frame."""
    try:
        decoder.set_align_text(" ".join(words))
        for second in (False, True):  # words first, then the phones within them
            if second:
                decoder.set_alignment()
            decoder.start_utt()
            decoder.process_raw(pcm, no_search=False, full_utt=True)
            decoder.end_utt()
        alignment = decoder.get_alignment()
    except RuntimeError as e:
        raise UserError(f"the transcript could not be aligned to the speech ({e}): is it what is said?") from None
    segs = [] if alignment is None else [(p.name, int(p.start), int(p.duration), int(p.score))
                                         for p in alignment.phones()]
    if not segs:
        raise UserError("the transcript could not be aligned to the speech: is it what is said?")
    return segs, sum(s[3] for s in segs) / max(1, sum(s[2] for s in segs))
