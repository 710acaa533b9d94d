"""Sentences: the GRID grammar, single LRW-like words, or open-vocabulary word strings, drawn from a seeded
generator."""

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


# Open vocabulary (the `open` layout): common English words of every viseme class. It leaves out every word
# of the real-photo sync benchmark's sentences (benchmarks/bench_sync_photos.py), so that benchmark speaks
# words a model trained on this layout never heard.
OPEN_WORDS = tuple("""
a about above across after again against air all almost along also always am among an and animal another
answer any are around as ask at away back bad ball bank be bear beautiful became because become bed been
began begin behind being believe below best better between big bird black board boat body book born both
bottom box boy bread break bright bring brother brown build burn business busy but by cake call came can
car care carry case cat catch cause centre chair chance change child church city class clean clear close
cloud coat cold colour come common could country course cover cross cut dark daughter day dead deep did
different dinner do doctor does dog done door down draw dream dress drink drive drop dry during each early
earth easy eat edge egg eight empty end enough even evening ever every eye face fact fall family far farm
fast father fear feel feet few field fill find fine finger fire first fish five floor flower fly follow
foot for form forward found four free fresh friend from front full fun game garden gave get girl give glass
go gold gone good got great grew ground group grow had half hand happen happy hard has hat have he head
hear heart heavy held help her here high hill him his hold hole home hope horse hot hour house how huge
hundred hungry I idea if important in inside into is island it its job join jump just kept kind king kitchen
know lady land large last late laugh lay lead learn least leave left leg less let letter light like
line lion list listen little live long look lost lot loud love low made main make man many map mark market
match matter me mean measure meet men middle might mile milk mind minute miss money month morning most
mother mountain mouth move much music must my name narrow near neck need never new next nice night nine no
north nose not nothing notice number of off offer office often oh oil old on once one only open or orange
order other our out over own page paint pair palm park part party pass past path pay pen people perhaps
person pick picture piece place plan plant play point poor possible power press pretty problem pull purple
push put queen question quick quiet rain ran reach read ready real red remember rest rich ride right ring
river road rock room round rule run sad safe said sail same sand sat save saw say school sea season seat
second seem send seven shall shape share she ship shoe shop short should show side sign simple since sing
sister sit six size sleep slow small smile snow so soft some son song soon sound south space speak spring
square stand star start stay step still stone stop story street strong study such summer sun supper sure
swim table take talk tall teach team tell ten than thank that their them then there these they thing think
this those though thought thousand through throw time tiny to today together told tomorrow took top touch
toward town travel true try turn twelve under until up upon us use usual valley very visit voice wait walk
wall want warm was wash watch water wave way wear weather week well went were west what wheel when where
which while white whole why wide wife will wind window winter wish with without woman wonder wood word
work world would write wrong yard year yellow yes yet young your zero""".split())


def open_sentence(rng: np.random.Generator) -> str:
    """Four to eight words of the open vocabulary."""
    return " ".join(str(w) for w in rng.choice(OPEN_WORDS, size=int(rng.integers(4, 9))))


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
