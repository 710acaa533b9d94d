"""Phoneme -> viseme tables for every phoneme the mbrola (via espeak-ng) and flite voices emit.

Every voice's symbols are first normalised to one ARPAbet-like set (`CANON`), whose entries
hold articulation targets. Unknown symbols raise `KeyError`: a test synthesises every GRID
word with every training voice to keep the tables complete.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Viseme:
    """Articulation targets. open: jaw/lip opening 0..1; spread: lip spreading 0..1; round:
    rounding + protrusion 0..1; closure: bilabial seal; labiodental: lower lip to upper teeth;
    teeth / tongue: visibility 0..1; dominance: weight in coarticulation blending."""

    open: float
    spread: float = 0.0
    round: float = 0.0
    closure: float = 0.0
    labiodental: float = 0.0
    teeth: float = 0.0
    tongue: float = 0.0
    dominance: float = 1.0


V = Viseme
SILENCE = "sil"
# The rest mouth: lips lightly closed, neutral width.
REST = V(0.0, 0.0, 0.0, 0.0, dominance=0.6)

CANON: dict[str, Viseme | tuple[Viseme, Viseme]] = {
    SILENCE: REST,
    # bilabials: sealed lips, strongest dominance
    "p": V(0.0, closure=1.0, dominance=1.2), "b": V(0.0, closure=1.0, dominance=1.2),
    "m": V(0.0, closure=1.0, dominance=1.2),
    # labiodentals: lower lip to upper teeth
    "f": V(0.08, labiodental=1.0, teeth=0.6, dominance=2.0),
    "v": V(0.08, labiodental=1.0, teeth=0.6, dominance=2.0),
    # dentals: tongue tip between the teeth
    "th": V(0.22, 0.2, teeth=0.9, tongue=0.9, dominance=2.5),
    "dh": V(0.22, 0.2, teeth=0.9, tongue=0.9, dominance=2.0),
    # alveolars and others: light dominance (they take the neighbours' shape)
    "t": V(0.2, 0.2, teeth=0.7, tongue=0.3, dominance=0.7), "d": V(0.2, 0.2, teeth=0.7, tongue=0.3, dominance=0.7),
    "n": V(0.2, 0.2, teeth=0.6, tongue=0.3, dominance=0.6), "l": V(0.28, 0.1, teeth=0.6, tongue=0.7, dominance=0.7),
    "s": V(0.1, 0.4, teeth=1.0, dominance=1.8), "z": V(0.1, 0.4, teeth=1.0, dominance=1.6),
    "sh": V(0.18, 0.0, 0.7, teeth=0.8, dominance=2.0), "zh": V(0.18, 0.0, 0.7, teeth=0.8, dominance=2.0),
    "ch": V(0.18, 0.0, 0.65, teeth=0.8, dominance=2.0), "jh": V(0.18, 0.0, 0.65, teeth=0.8, dominance=2.0),
    "k": V(0.3, 0.1, teeth=0.4, dominance=0.5), "g": V(0.3, 0.1, teeth=0.4, dominance=0.5),
    "ng": V(0.25, 0.1, teeth=0.4, dominance=0.5), "hh": V(0.35, dominance=0.2),
    "q": V(0.15, dominance=0.3),  # glottal stop
    "r": V(0.2, 0.0, 0.55, teeth=0.3, dominance=1.2), "w": V(0.1, 0.0, 1.0, dominance=2.0),
    "y": V(0.15, 0.5, teeth=0.6, dominance=1.0),
    # vowels (dominance set below)
    "iy": V(0.22, 0.85, teeth=0.9, tongue=0.2), "ih": V(0.32, 0.55, teeth=0.7, tongue=0.2),
    "ey": V(0.38, 0.55, teeth=0.7, tongue=0.2), "eh": V(0.48, 0.45, teeth=0.6, tongue=0.3),
    "ae": V(0.68, 0.45, teeth=0.6, tongue=0.4), "aa": V(0.9, 0.1, teeth=0.3, tongue=0.4),
    "ah": V(0.58, 0.15, teeth=0.4, tongue=0.4), "ao": V(0.72, 0.0, 0.5, teeth=0.3, tongue=0.3),
    "ow": V(0.45, 0.0, 0.75, teeth=0.2, tongue=0.2), "uh": V(0.3, 0.0, 0.55, teeth=0.3, tongue=0.2),
    "uw": V(0.2, 0.0, 0.95, teeth=0.1), "er": V(0.3, 0.0, 0.45, teeth=0.4, tongue=0.2),
    "ax": V(0.35, 0.1, teeth=0.4, tongue=0.3), "ix": V(0.3, 0.4, teeth=0.6, tongue=0.2),
}
VOWELS = ("iy", "ih", "ey", "eh", "ae", "aa", "ah", "ao", "ow", "uh", "uw", "er", "ax", "ix")
for _v in VOWELS:
    _t = CANON[_v]
    assert isinstance(_t, Viseme)
    CANON[_v] = Viseme(**{**_t.__dict__, "dominance": 1.6})
# Diphthongs: a start and an end target over the two halves of the segment.
for name, (a, b) in {"ay": ("aa", "iy"), "aw": ("aa", "uw"), "oy": ("ao", "iy"), "eyd": ("eh", "iy"),
                     "owd": ("ax", "uw"), "iax": ("ih", "ax"), "eax": ("eh", "ax"), "uax": ("uh", "ax")}.items():
    first, second = CANON[a], CANON[b]
    assert isinstance(first, Viseme) and isinstance(second, Viseme)
    CANON[name] = (first, second)

# flite (CMU phone set) -> canonical
FLITE: dict[str, str] = {p: p for p in (
    "aa ae ah ao aw ax ay b ch d dh eh er ey f g hh ih iy jh k l m n ng ow oy p r s sh t th uh uw v w y z zh"
).split()}
FLITE.update({"pau": SILENCE, "h#": SILENCE, "axr": "er", "ix": "ix", "el": "l", "em": "m", "en": "n",
              "dx": "d", "nx": "n", "hv": "hh", "q": "q"})

# espeak-ng -> mbrola SAMPA symbols (us1/us2/us3 American, en1 British, accented voices) -> canonical
MBROLA: dict[str, str] = {
    "_": SILENCE, "#": SILENCE,
    "p": "p", "b": "b", "t": "t", "d": "d", "k": "k", "g": "g", "4": "d", "?": "q",
    "f": "f", "v": "v", "T": "th", "D": "dh", "s": "s", "z": "z", "S": "sh", "Z": "zh", "h": "hh",
    "x": "k", "tS": "ch", "dZ": "jh", "m": "m", "n": "n", "N": "ng", "l": "l", "5": "l", "r": "r",
    "R": "r", "w": "w", "W": "w", "j": "y", "m=": "m", "n=": "n", "l=": "l", "r=": "er",
    "i": "iy", "I": "ih", "e": "eh", "E": "eh", "{": "ae", "a": "ae", "A": "aa", "Q": "aa", "V": "ah",
    "O": "ao", "O2": "ao", "o": "ow", "U": "uh", "u": "uw", "@": "ax", "3": "er", "3`": "er", "@`": "er", "6": "ax",
    "EI": "ey", "eI": "ey", "AI": "ay", "aI": "ay", "OI": "oy", "oI": "oy", "aU": "aw", "@U": "owd",
    "oU": "owd", "I@": "iax", "e@": "eax", "E@": "eax", "U@": "uax", "O@": "ao", "A@": "aa", "i@": "iax",
    # Accented English of the German/French/Swedish/Polish/Dutch/Hungarian mbrola voices
    # (espeak-ng's mb-XX-en): their own SAMPA symbols, mapped to the nearest English articulation.
    "OY": "oy", "Ei": "ey", "Au": "aw", "9": "er", "2": "er", "u0": "uw",
    "ph": "p", "th": "t", "kh": "k", "rs": "sh", "L": "l", "J": "y", "tj": "ch", "dj": "jh",
}


def canonical(symbol: str, engine: str) -> str:
    """Normalise a voice's phoneme symbol; raises KeyError for an unmapped one."""
    if engine == "flite":
        return FLITE[symbol]
    table = MBROLA
    if symbol in table:
        return table[symbol]
    base = symbol.replace(":", "").replace("_h", "").replace("_0", "").replace("'", "")
    if base in table:
        return table[base]
    raise KeyError(f"unmapped {engine} phoneme {symbol!r}")


def targets(canon: str) -> tuple[Viseme, Viseme]:
    """Start and end targets of a canonical phoneme (equal for monophthongs)."""
    v = CANON[canon]
    return v if isinstance(v, tuple) else (v, v)
