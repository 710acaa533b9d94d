"""Transcript-driven mouth shapes vs the shape head, on the held-out voice (lipglance.inference.speech.transcript).

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python benchmarks/bench_transcript.py --data data/open --limit 120 \\
        --out docs/sync_transcript

Re-speaks each test clip's sentence (lipglance.synth.tts.synthesize with the clip's text, voice, rate and pitch, as
research/seal_reference_sphinx.py does), so the phone timing is known exactly. Truth per frame: the shapes of the
synthesizer's own phones (lipglance.inference.speech.transcript.transcript_shapes of speech.phones); classes
(p/b/m, rounded, spread) from the same phones (lipglance.shape.frame_classes). Compared, each against the truth with
lipglance.eval.sync.summarise: `head`, the bundled model's shape head (LipSync.stream_shapes); `transcript`, the
shapes of the clip's text force-aligned to the audio (LipSync.transcript_shapes, what `lipglance generate
--transcript` renders). Writes OUT.json and OUT.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np

from lipglance.data.cache import Cache
from lipglance.errors import UserError
from lipglance.eval.sync import summarise
from lipglance.inference.model.lipsync import LipSync
from lipglance.inference.speech.transcript import LEAD, transcript_shapes
from lipglance.shape import CLOSED, frame_classes
from lipglance.synth.tts import synthesize

SOURCES = ("head", "transcript", "truth")


def measure(model: LipSync, items: list[dict], show: int = 0) -> dict[str, object]:
    """Every source's shapes on every clip, concatenated, summarised against the truth."""
    preds: dict[str, list[np.ndarray]] = {k: [] for k in SOURCES}
    classes: list[np.ndarray] = []
    failed: list[str] = []
    for k, item in enumerate(items):
        m = item["meta"]
        speech = synthesize(str(m["text"]), str(m["voice"]), float(m["rate"]), float(m["pitch"]))
        n = model.frame_count(len(speech.wave))
        truth = transcript_shapes(speech.phones, n)
        clip = {"meta": {"lead": LEAD, "phones": [[p.canon, p.start, p.end] for p in speech.phones]}}
        classes.append(frame_classes(clip, n))
        preds["truth"].append(truth)
        preds["head"].append(np.stack(list(model.stream_shapes(speech.wave)))[:n])
        try:
            preds["transcript"].append(model.transcript_shapes(speech.wave, str(m["text"]))[:n])
        except UserError as e:  # counted, and the clip scored as the rest mouth
            failed.append(f"{m['text']!r}: {e}")
            preds["transcript"].append(np.zeros_like(truth))
        if k < show:
            print(f"[{k}] {m['text']!r} {n} frames", file=sys.stderr)
    cls = np.concatenate(classes)
    truth_all = np.concatenate(preds["truth"])
    return {"n_clips": len(items), "n_frames": int(len(cls)),
            "n_bilabial_frames": int((cls == "bilabial").sum()), "alignment_failures": failed,
            "sources": {name: summarise(np.concatenate(p), truth_all, cls) for name, p in preds.items()}}


def table(res: dict) -> list[str]:
    rows = ["| source | opening r | p/b/m closed | false closure | rounded/spread width |", "|---|---:|---:|---:|---:|"]
    names = {"head": "shape head (audio only)", "transcript": "transcript, force-aligned",
             "truth": "truth (synthesizer's phones)"}
    for name, s in res["sources"].items():
        rows.append(f"| {names[name]} | {s['opening_r']:.3f} | {100 * s['bilabial_closure']:.1f}% | "
                    f"{100 * s['false_closure']:.1f}% | {s['width_ratio']:.3f} |")
    return rows


def write_md(res: dict, path: Path) -> None:
    text = "\n".join([
        "# Transcript-driven mouth shapes vs the shape head (held-out voice)",
        "",
        f"{res['n_clips']} re-synthesized test clips of `{res['data']}` (voice {', '.join(res['voices'])}), "
        f"{res['n_frames']} frames at 25/s, {res['n_bilabial_frames']} of them p/b/m closure frames. Truth: the "
        f"shapes of the synthesizer's own phone timing (lipglance.inference.speech.transcript.transcript_shapes, lead "
        f"{res['lead_s']} s). `transcript`: the clip's text force-aligned to its audio by pocketsphinx "
        f"{res['pocketsphinx_version']} (LipSync.transcript_shapes, as `lipglance generate --transcript` renders). "
        f"Closed: inner opening below {res['closed_below']} rest widths (lipglance.shape.CLOSED); false closure: "
        "closed where the truth is clearly open. Numbers from lipglance.eval.sync.summarise "
        f"(`docs/sync_transcript.json`). Alignment failures: {len(res['alignment_failures'])}.",
        "",
        *table(res),
        "",
        f"Wall time {res['wall_s']:.0f} s.",
        "",
        f"`{res['command']}`",
        "",
    ])
    path.write_text(text)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="data/open")
    ap.add_argument("--split", default="test")
    ap.add_argument("--limit", type=int, default=120, help="clips (the first N of the split)")
    ap.add_argument("--weights", default=None, help="generator checkpoint (default: the bundled model)")
    ap.add_argument("--out", default="docs/sync_transcript", help="output stem (.json, .md)")
    ap.add_argument("--show", type=int, default=3, help="print the first N clips' sentences")
    args = ap.parse_args()
    items = Cache(args.data).split(args.split)[: args.limit]
    model = LipSync.from_pretrained(args.weights)
    t0 = time.time()
    res = measure(model, items, args.show)
    weights = f" --weights {args.weights}" if args.weights else ""
    res = {"data": args.data, "split": args.split, "voices": sorted({str(i["meta"]["voice"]) for i in items}),
           "weights": args.weights or "bundled", "pocketsphinx_version": version("pocketsphinx"), "lead_s": LEAD,
           "closed_below": CLOSED, "wall_s": round(time.time() - t0, 1),
           "command": (f".venv/bin/python benchmarks/bench_transcript.py --data {args.data} --split {args.split} "
                       f"--limit {args.limit}{weights} --out {args.out}"), **res}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(res, indent=1) + "\n")
    write_md(res, out.with_suffix(".md"))
    print("\n".join(table(res)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
