"""How far a transcript's forced alignment falls below that of the words pocketsphinx itself hears, for right and
wrong transcripts: the calibration of lipglance.inference.speech.transcript.MISMATCH_GAP.

    .venv/bin/python benchmarks/bench_transcript_match.py [--out docs/transcript_match.json]

Speech: Debian pocketsphinx-testdata's 11 transcribed recordings (benchmarks/bench_sync_recorded.py), flite slt
saying the test sentence "Bob made a map of the palm." (lipglance.synth.tts), and the bundled sample. For each
one, the gap (points per 10 ms frame) of its right transcript, of "hello world", of another recording's words
and of its words without the last two; a wrong transcript that cannot be aligned at all counts as refused.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from lipglance.errors import UserError
from lipglance.io.audio import load_audio
from lipglance.samples import SAMPLE_WAV, SAMPLE_WORDS
from lipglance.synth.align import MISMATCH_GAP, _align, aligner, match_gap, pcm16, words_of
from lipglance.synth.tts import synthesize

sys.path.insert(0, str(Path(__file__).parent))
from bench_sync_recorded import recordings  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def reference(pcm: bytes) -> float:
    """The alignment score per frame of the words pocketsphinx hears (what `match_gap` compares with)."""
    found = match_gap(pcm, 0.0)
    assert found is not None, "pocketsphinx hears no words"
    return found[0]


def gap(pcm: bytes, ref: float, text: str) -> float | None:
    """The transcript's gap to `ref`, or None when it cannot be aligned (a refusal of its own)."""
    try:
        _, score = _align(aligner(), pcm, words_of(text))
    except UserError:
        return None
    return round(ref - score, 2)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "transcript_match.json")
    args = ap.parse_args()
    bob = synthesize("Bob made a map of the palm.", "flite-slt")
    items = [(n, w, t) for n, w, t in recordings()]
    items += [("flite-slt-bob", bob.wave, "bob made a map of the palm"), ("sample", load_audio(SAMPLE_WAV, 16000),
                                                                          SAMPLE_WORDS)]
    rows = []
    for i, (name, wave, text) in enumerate(items):
        other = items[(i + 1) % len(items)][2]
        short = " ".join(text.split()[:-2]) or text
        pcm = pcm16(wave)
        ref = reference(pcm)
        row: dict[str, Any] = {"name": name, "right": gap(pcm, ref, text),
                               "hello world": gap(pcm, ref, "hello world"), "another's words": gap(pcm, ref, other),
                               "last two words missing": gap(pcm, ref, short)}
        print(json.dumps(row), flush=True)
        rows.append(row)
    right = [r["right"] for r in rows if r["right"] is not None]
    wrong = [r[k] for r in rows for k in ("hello world", "another's words")]
    summary = {"threshold": MISMATCH_GAP, "right_max_gap": max(right),
               "right_refused": sum(g > MISMATCH_GAP for g in right),
               "wrong_min_gap": min(g for g in wrong if g is not None),
               "wrong_refused": sum(g is None or g > MISMATCH_GAP for g in wrong), "wrong": len(wrong)}
    print(json.dumps(summary))
    args.out.write_text(json.dumps({"summary": summary, "rows": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
