"""Can a recogniser trained on real speech give the mouth's rounding better than the shape head does?

    .venv/bin/python research/round_from_phones.py --speech recorded \\
        --out docs/sync_ablations/round_from_phones_recorded
    .venv/bin/python research/round_from_phones.py --speech heldout --data data/wide_part --limit 60 \\
        --out docs/sync_ablations/round_from_phones_heldout

Per frame, the mouth width (lipglance.shape.width_of) of four drivers of the same articulation: `reference`, the
words' phones (recorded speech: the known transcript force-aligned, as bench_sync_recorded.py; held-out voice: the
synthesiser's own phones, re-spoken from each test clip's text, voice, rate and pitch); `model`, the shape head from
the sound alone (LipSync.stream_shapes); `allphone`, pocketsphinx's phone recogniser (its en-us model and phone
language model, --lw/--pip) whose phones drive the transcript path's articulation; `words`, pocketsphinx's word
recogniser (its en-us language model) whose words are then force-aligned; `model+allphone`, the mean of the two
widths. Reported: the rounded/spread width ratio on
the reference's rounded and spread vowel frames, and the correlation of the width with the reference's over those
frames. Writes OUT.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_sync_recorded import recordings  # noqa: E402
from seal_reference_sphinx import make_decoder, recognise  # noqa: E402

from lipglance.errors import UserError  # noqa: E402
from lipglance.inference.model.lipsync import LipSync  # noqa: E402
from lipglance.inference.speech.transcript import LEAD, aligned_phones, transcript_shapes  # noqa: E402
from lipglance.shape import frame_classes, width_of  # noqa: E402
from lipglance.synth.align import _align, _canon, aligner, heard, pcm16  # noqa: E402
from lipglance.synth.phone import Phone  # noqa: E402
from lipglance.synth.tts import synthesize  # noqa: E402

DRIVERS = ("reference", "model", "allphone", "words", "model+allphone")


def allphone(pcm: bytes, lw: float, pip: float) -> list[Phone]:
    """The phones pocketsphinx's allphone search recognises in 16 kHz int16 `pcm` (research/seal_reference_sphinx.py's
    decoder)."""
    return [Phone(name, _canon(name), first / 100, (last + 1) / 100)
            for name, first, last in recognise(make_decoder(lw, pip), pcm)]


def word_phones(pcm: bytes) -> list[Phone]:
    """The phones of the words pocketsphinx recognises, force-aligned ([] when none or the alignment fails)."""
    words = [w for w in heard(pcm).split() if not w.startswith(("<", "["))]
    try:
        segs, _ = _align(aligner(), pcm, words) if words else ([], 0.0)
    except UserError:
        return []
    return [Phone(name, _canon(name), start / 100, (start + count) / 100) for name, start, count, _ in segs]


def speech(kind: str, data: str, limit: int) -> list[tuple[np.ndarray, list[Phone]]]:
    """(16-kHz samples, reference phones) of each utterance."""
    if kind == "recorded":
        return [(wave, aligned_phones(wave, 16000, text, check=False)) for _, wave, text in recordings()]
    rows = [json.loads(line) for line in (Path(data) / "manifest.jsonl").read_text().splitlines()]
    out = []
    for row in [r for r in rows if r["split"] == "test"][:limit]:
        m = row["meta"]
        said = synthesize(m["text"], m["voice"], m["rate"], m["pitch"])
        out.append((said.wave, said.phones))
    return out


def measure(model: LipSync, items: list[tuple[np.ndarray, list[Phone]]], lw: float, pip: float) -> dict[str, Any]:
    widths: dict[str, list[np.ndarray]] = {d: [] for d in DRIVERS}
    classes = []
    for wave, phones in items:
        n = model.frame_count(len(wave))
        pcm = pcm16(wave)
        classes.append(frame_classes({"meta": {"lead": LEAD, "phones": [[p.canon, p.start, p.end] for p in phones]}},
                                     n))
        widths["reference"].append(width_of(transcript_shapes(phones, n, LEAD)))
        widths["model"].append(width_of(np.stack(list(model.stream_shapes(wave)))[:n]))
        widths["allphone"].append(width_of(transcript_shapes(allphone(pcm, lw, pip), n, LEAD)))
        heard_phones = word_phones(pcm)
        widths["words"].append(width_of(transcript_shapes(heard_phones, n, LEAD)) if heard_phones else np.ones(n))
    widths["model+allphone"] = [(m + a) / 2 for m, a in zip(widths["model"], widths["allphone"], strict=True)]
    cls = np.concatenate(classes)
    vowel = (cls == "rounded") | (cls == "spread")
    ref = np.concatenate(widths["reference"])
    out: dict[str, Any] = {}
    for d in DRIVERS:
        w = np.concatenate(widths[d])
        out[d] = {"width_ratio": float(w[cls == "rounded"].mean() / w[cls == "spread"].mean()),
                  "width_r": float(np.corrcoef(w[vowel], ref[vowel])[0, 1]) if w[vowel].std() > 0 else 0.0}
    return {"drivers": out, "utterances": len(items), "frames": int(len(cls)),
            "rounded_frames": int((cls == "rounded").sum()), "spread_frames": int((cls == "spread").sum())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--speech", choices=("recorded", "heldout"), default="recorded")
    ap.add_argument("--data", default="data/wide_part", help="a cache whose test split is the held-out voice")
    ap.add_argument("--limit", type=int, default=60, help="held-out clips (the first N of the test split)")
    ap.add_argument("--weights", default="lipglance/assets/default.safetensors")
    ap.add_argument("--lw", type=float, default=2.0, help="language weight of the phone LM (allphone)")
    ap.add_argument("--pip", type=float, default=1.0, help="phone insertion penalty (allphone)")
    ap.add_argument("--out", required=True, help="output stem")
    args = ap.parse_args()
    res = measure(LipSync.from_pretrained(args.weights), speech(args.speech, args.data, args.limit), args.lw, args.pip)
    command = (f".venv/bin/python research/round_from_phones.py --speech {args.speech}"
               + (f" --data {args.data} --limit {args.limit}" if args.speech == "heldout" else "")
               + f" --lw {args.lw} --pip {args.pip} --out {args.out}")
    res = {"speech": args.speech, "weights": args.weights, "lw": args.lw, "pip": args.pip, "command": command, **res}
    Path(args.out).with_suffix(".json").write_text(json.dumps(res, indent=2) + "\n")
    for d, v in res["drivers"].items():
        print(f"{d:9} rounded/spread {v['width_ratio']:.3f}  width r {v['width_r']:.3f}")


if __name__ == "__main__":
    main()
