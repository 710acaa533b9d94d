"""Compare generators on silence: closure of an open mouth, LMD, and strips of synthetic and real faces.

    .venv/bin/python scripts/silence_table.py --data data/corpus --out docs/silence \\
        default=glance/assets/default.safetensors mask=runs/tuned/generator.safetensors

writes OUT.md / OUT.json (per model: LMD, SSIM, PSNR, CPBD on evenly spread test windows; closure in
silence, `glance/eval/silence.py`), OUT_test.png (per model, 4 test clips: the most open frame as
identity, then frames generated on digital silence) and OUT_photos.png (per model, the real held-out
photos: identity, then frames generated on the bundled held-out-voice sentence and on silence).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from figures import label  # scripts/figures.py
from PIL import Image

from glance.data.cache import Cache
from glance.eval.evaluate import evaluate
from glance.eval.silence import OpeningProbe, closure_summary, silence_closure
from glance.inference import LipSync
from glance.io.audio import load_audio
from glance.samples import sample_photos

SAMPLE_WAV = Path(__file__).resolve().parents[1] / "glance" / "assets" / "sample.wav"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="+", help="NAME=WEIGHTS")
    ap.add_argument("--data", required=True)
    ap.add_argument("--limit", type=int, default=120, help="test windows for LMD, SSIM, PSNR, CPBD")
    ap.add_argument("--clips", type=int, default=30, help="test clips for the closure in silence")
    ap.add_argument("--out", required=True, help="output prefix")
    args = ap.parse_args()
    cache = Cache(args.data)
    probe = OpeningProbe.fit(cache)
    models = {n: LipSync.from_pretrained(w) for n, w in (m.split("=", 1) for m in args.models)}
    table = {}
    for name, model in models.items():
        _, summary = evaluate(model, cache, "test", ["lmd", "ssim", "psnr", "cpbd"], args.limit)
        summary.update(closure_summary(silence_closure(model, cache, "test", args.clips, probe=probe)))
        table[name] = {k: list(v) for k, v in summary.items()}
        print(name, {k: round(v[0], 3) for k, v in summary.items()}, flush=True)

    rate = next(iter(models.values())).sample_rate
    silence = np.zeros(2 * rate, np.float32)
    items = cache.split("test")[:: max(1, len(cache.split("test")) // 4)][:4]
    rows, names = [], []
    for name, model in models.items():
        strip = []
        for item in items:
            crops = np.asarray(cache.crops(item))
            ident = np.ascontiguousarray(crops[int(np.argmax(item["meta"]["opening"]))])
            quiet = list(model.stream_lips(silence, ident))
            strip += [ident] + [quiet[t] for t in (4, 16, 40)]
        rows.append(np.concatenate(strip, axis=1))
        names.append(name)
    Image.fromarray(label(rows, names)).save(f"{args.out}_test.png")

    speech = load_audio(SAMPLE_WAV, rate)
    rows, names = [], []
    for path in sample_photos():
        photo = np.asarray(Image.open(path).convert("RGB"))
        for name, model in models.items():
            ident, _ = model.prepare(photo)
            talk = list(model.stream_lips(speech, ident))
            quiet = list(model.stream_lips(silence, ident))
            frames = [talk[int(t)] for t in np.linspace(8, len(talk) - 8, 8)] + [quiet[t] for t in (8, 30)]
            rows.append(np.concatenate([ident, *frames], axis=1))
            names.append(f"{name}: {path.stem}")
    Image.fromarray(label(rows, names)).save(f"{args.out}_photos.png")

    Path(f"{args.out}.json").write_text(json.dumps({"limit": args.limit, "clips": args.clips, "table": table},
                                                   indent=1) + "\n")
    cols = ("lmd", "ssim", "psnr", "cpbd", "silence_closure", "silence_opening", "silence_opening_from_closed")
    lines = ["| model | LMD | SSIM | PSNR (dB) | CPBD | closure in silence | opening in silence, open / closed "
             "identity (px) | clips closed |", "|---|---|---|---|---|---|---|---|"]
    for name, v in table.items():
        cells = [f"{v[k][0]:.3f} ± {v[k][1]:.3f}" for k in cols[:5]]
        cells.append(f"{v[cols[5]][0]:.2f} / {v[cols[6]][0]:.2f}")
        cells.append(f"{v['silence_closed_share'][0]:.0%} of {v['silence_closed_share'][1]:.0f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    Path(f"{args.out}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
