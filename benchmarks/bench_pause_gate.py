"""The pause gate's settings (lipglance/inference/speech/pause_gate.py), scored where they were chosen.

Synthetic speech with exact phone timings from the TRAINING voices only (mbrola us1-3, en1 and the accented mbrola
voices of `--voices wide`; no flite voice, so no festival voice and no slt): two open-vocabulary sentences with a
pause of 0.05-0.9 s between them, 0-0.5 s of silence before and 0.1-0.6 s after, coloured noise 12-40 dB below the
active speech level, a random gain. A tuning set (seed 1) and a validation set (seed 2), and the recorded speech of
pocketsphinx-testdata with its words force-aligned (the aligner's own silences, without the transcript path's
energy pauses). Per frame (visual time = centre + LEAD):
- recall: rest frames (REST_MARGIN inside a silence, lipglance.shape.rest_frames' rule) the gate closes fully;
- false: speech frames (inside a spoken phone) it moves more than half way to closed;
- deep false: speech frames more than 0.1 s from any silence that it moves at all (stops inside words).
Each setting of the grid (QUIET_DB, MIN_PAUSE) is scored with the module's other settings as shipped; then the
shipped setting without the noise-floor rule (FLOOR_DB -200), without hysteresis or with half of it, and with a
one-frame ease (EASE 0.04: closer to the pauses' edges, more speech frames touched).

    .venv/bin/python benchmarks/bench_pause_gate.py --out docs/pause_gate.json [--clips 120]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
from scipy.signal import lfilter

import lipglance.inference.speech.pause_gate as gate
from lipglance.inference.speech.loudness import level_of
from lipglance.levels import frame_levels
from lipglance.shape import REST_MARGIN
from lipglance.synth.text import open_sentence
from lipglance.synth.tts import ACCENTED_VOICES, synthesize

VOICES = ("mbrola-us1", "mbrola-us2", "mbrola-us3", "mbrola-en1", *ACCENTED_VOICES)
RATE = 16000
Clip = tuple[np.ndarray, list[tuple[str, float, float]]]  # samples, (phone, start, end)


def synthetic(n: int, seed: int) -> list[Clip]:
    """`n` clips of two sentences with a pause between them (see the module doc)."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        voice = VOICES[k % len(VOICES)]
        rate, pitch = rng.uniform(0.8, 1.25), rng.uniform(0.85, 1.2)
        a, b = (synthesize(open_sentence(rng), voice, rate, pitch) for _ in range(2))
        gap, before, after = rng.uniform(0.05, 0.9), rng.uniform(0.0, 0.5), rng.uniform(0.1, 0.6)
        pieces, phones, t = [], [], 0.0
        for silence, speech in ((before, a), (gap, b), (after, None)):
            quiet = np.zeros(int(silence * RATE), np.float32)
            pieces.append(quiet)
            phones.append(("sil", t, t + len(quiet) / RATE))
            t += len(quiet) / RATE
            if speech is not None:
                pieces.append(speech.wave)
                phones += [(p.canon, t + p.start, t + p.end) for p in speech.phones]
                t += len(speech.wave) / RATE
        wave = np.concatenate(pieces)
        speech_db = level_of(frame_levels(wave, RATE)) or -20.0
        noise = lfilter([1.0], [1.0, -rng.uniform(0.0, 0.95)], rng.standard_normal(len(wave)))
        noise *= 10 ** ((speech_db - rng.uniform(12, 40)) / 20) / np.sqrt(np.mean(noise ** 2))
        out.append(((wave + noise).astype(np.float32) * np.float32(rng.uniform(0.3, 1.0)), phones))
    return out


def recorded() -> list[Clip]:
    """pocketsphinx-testdata's transcribed recordings, the aligner's own phones (no energy pauses)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_sync_recorded import recordings

    import lipglance.synth.align as align

    keep = align.with_pauses
    align.with_pauses = lambda phones, spans: phones
    try:
        return [(w, [(p.canon, p.start, p.end) for p in align.aligned_phones(w, RATE, text)])
                for _, w, text in recordings()]
    finally:
        align.with_pauses = keep


def score(clips: list[Clip]) -> dict[str, float]:
    counts = np.zeros(6)
    for wave, phones in clips:
        n = int(np.ceil(len(wave) / (RATE // 25)))
        w = gate.pause_weights(wave, RATE, n, 25)
        t = (np.arange(n) + 0.5) / 25 + gate.LEAD
        rest, inside = np.ones(n, bool), np.zeros(n, bool)
        for canon, a, b in phones:
            if canon != "sil":
                rest &= (t < a - REST_MARGIN) | (t > b + REST_MARGIN)
                inside |= (t >= a) & (t < b)
        deep = inside.copy()
        for canon, a, b in phones:
            if canon == "sil":
                deep &= (t < a - 0.1) | (t > b + 0.1)
        counts += [(w[rest] >= 0.99).sum(), rest.sum(), (w[inside] > 0.5).sum(), inside.sum(),
                   (w[deep] > 0).sum(), deep.sum()]
    return {"recall": counts[0] / counts[1], "false": counts[2] / counts[3], "deep_false": counts[4] / counts[5],
            "rest_frames": int(counts[1]), "speech_frames": int(counts[3])}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True, help="json to write")
    p.add_argument("--clips", type=int, default=120, help="tuning clips (validation: half as many)")
    args = p.parse_args()
    sets = {"tune": synthetic(args.clips, 1), "validation": synthetic(args.clips // 2, 2), "recorded": recorded()}
    shipped = (gate.QUIET_DB, gate.MIN_PAUSE)
    rows: list[dict[str, Any]] = []
    for quiet in (18.0, 20.0, 22.0, 25.0):
        for least in (0.16, 0.2, 0.25):
            gate.QUIET_DB, gate.MIN_PAUSE = quiet, least
            row: dict[str, Any] = {"quiet_db": quiet, "min_pause": least, "shipped": (quiet, least) == shipped}
            row.update({k: score(v) for k, v in sets.items()})
            rows.append(row)
            print(json.dumps({k: v if not isinstance(v, dict) else {m: round(x, 4) for m, x in v.items()}
                              for k, v in row.items()}), flush=True)
    gate.QUIET_DB, gate.MIN_PAUSE = shipped
    for name, value in (("FLOOR_DB", -200.0), ("HYSTERESIS_DB", 0.0), ("HYSTERESIS_DB", 3.0), ("EASE", 0.04)):
        keep = getattr(gate, name)
        setattr(gate, name, value)
        row = {"quiet_db": shipped[0], "min_pause": shipped[1], "shipped": False, "changed": {name: value}}
        row.update({k: score(v) for k, v in sets.items()})
        rows.append(row)
        print(json.dumps({k: v if not isinstance(v, dict) else {m: round(x, 4) for m, x in v.items()}
                          for k, v in row.items()}), flush=True)
        setattr(gate, name, keep)
    settings = {k: getattr(gate, k) for k in ("QUIET_DB", "FLOOR_DB", "FLOOR_PERCENTILE", "SPEECH_GAP_DB",
                                              "HYSTERESIS_DB", "MIN_PAUSE", "EASE", "LEAD")}
    record = {"voices": list(VOICES), "clips": {k: len(v) for k, v in sets.items()}, "settings": settings,
              "grid": rows, "command": " ".join(["benchmarks/bench_pause_gate.py", *sys.argv[1:]])}
    Path(args.out).write_text(json.dumps(record, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
