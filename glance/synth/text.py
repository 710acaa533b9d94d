"""Sentences: the GRID grammar (and single LRW-like words), drawn from a seeded generator."""

from __future__ import annotations

import numpy as np

COMMAND = ("bin", "lay", "place", "set")
COLOUR = ("blue", "green", "red", "white")
PREPOSITION = ("at", "by", "in", "with")
LETTER = tuple("abcdefghijklmnopqrstuvxyz")  # no w
DIGIT = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
ADVERB = ("again", "now", "please", "soon")
GRID_WORDS = COMMAND + COLOUR + PREPOSITION + LETTER + DIGIT + ADVERB
# LRW-like single words (common English words of 4-10 letters, a mix of visemes).
WORDS = ("about", "before", "between", "called", "family", "important", "million", "morning", "people",
         "police", "minister", "question", "remember", "support", "thought", "window", "believe", "weapons",
         "number", "perhaps", "public", "always", "bring", "change", "spend", "words", "mother", "power")


def spoken(word: str) -> str:
    """How the TTS should read a GRID token (letters are spelled as letter names)."""
    if len(word) > 1:
        return word
    return "eigh" if word == "a" else word.upper()  # a lone "a" would be read as the article


def grid_sentence(rng: np.random.Generator) -> tuple[str, str]:
    """(text to speak, GRID-style utterance id such as 'bbaf2n')."""
    words = [str(rng.choice(group)) for group in (COMMAND, COLOUR, PREPOSITION, LETTER, DIGIT, ADVERB)]
    digit = str(DIGIT.index(words[4]))
    uid = words[0][0] + words[1][0] + words[2][0] + words[3] + digit + words[5][0]
    text = " ".join(spoken(w) if i == 3 else w for i, w in enumerate(words))
    return text, uid


def lrw_word(rng: np.random.Generator) -> str:
    return str(rng.choice(WORDS))
