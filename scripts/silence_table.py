"""Compare generators on silence: closure of an open mouth, LMD, and strips of synthetic and real faces.

    .venv/bin/python scripts/silence_table.py --data data/corpus --out docs/silence \\
        default=lipglance/assets/default.safetensors mask=runs/tuned/generator.safetensors

writes OUT.md / OUT.json (per model: LMD, SSIM, PSNR, CPBD on evenly spread test windows; closure in
silence, `lipglance/eval/silence.py`, of the generator alone and of `lipglance generate`, which closes an
open identity mouth first, finding it with dlib on the bare crop or with the cache's landmarks),
OUT_test.png (per model and way of finding the mouth, 4 test clips: the most open frame as identity,
then frames `lipglance generate` makes on digital silence), OUT_grid.png (the last model, every closure clip,
both ways) and OUT_photos.png (per model, the real
held-out photos: the mouth as given, then the lips `lipglance generate` makes, with the renderer it
picks, on the bundled held-out-voice sentence and on silence).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from figures import label  # scripts/figures.py
from PIL import Image

from lipglance.data.cache import Cache
from lipglance.eval.evaluate import evaluate
from lipglance.eval.silence import closure_summary, silence_closure
from lipglance.inference.model.lipsync import LipSync
from lipglance.io.audio import load_audio
from lipglance.motion import OpeningProbe
from lipglance.samples import sample_photos

SAMPLE_WAV = Path(__file__).resolve().parents[1] / "lipglance" / "assets" / "sample.wav"


def silent_from_open(model: LipSync, cache: Cache, item: dict, how: str,
                     silence: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """(the clip's most open frame, the frames `lipglance generate` makes from it on silence), the mouth found
    by dlib on the bare crop (how="dlib") or with the cache's landmarks (how="landmarks")."""
    crops, k = np.asarray(cache.crops(item)), int(np.argmax(item["meta"]["opening"]))
    points = np.asarray(cache.landmarks(item), np.float32)[k] if how == "landmarks" else None
    ident = np.ascontiguousarray(crops[k])
    return ident, list(model.stream_lips(silence, model.prepare(ident, points=points)[0]))


def closure_grid(model: LipSync, cache: Cache, clips: int, silence: np.ndarray) -> np.ndarray:
    """Every closure clip: its most open frame over the frame generated on silence, with the mouth found by
    dlib on the bare crop (top band) and with the cache's landmarks (bottom band), ten clips a row."""
    items = cache.split("test")
    items = [items[int(i)] for i in np.linspace(0, len(items) - 1, min(clips, len(items))).round()]
    bands = []
    for how in ("dlib", "landmarks"):
        tiles = []
        for item in items:
            ident, quiet = silent_from_open(model, cache, item, how, silence)
            tiles.append(np.concatenate([ident, quiet[30]], axis=0))
        tiles += [np.full_like(tiles[0], 255)] * (-len(tiles) % 10)
        rows = [np.concatenate(tiles[i:i + 10], axis=1) for i in range(0, len(tiles), 10)]
        bands.append(label([np.concatenate(rows, axis=0)], [how], width=100))
    return np.concatenate([bands[0], np.full((8, bands[0].shape[1], 3), 255, np.uint8), bands[1]], axis=0)


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
        alone = closure_summary(silence_closure(model, cache, "test", args.clips, probe=probe, close_mouth=False))
        summary.update(closure_summary(silence_closure(model, cache, "test", args.clips, probe=probe)))
        marked = closure_summary(silence_closure(model, cache, "test", args.clips, probe=probe, landmarks=True))
        summary["alone_closure"] = alone["silence_closure"]
        summary["alone_closed_share"] = alone["silence_closed_share"]
        summary["marked_closure"] = marked["silence_closure"]
        summary["marked_closed_share"] = marked["silence_closed_share"]
        table[name] = {k: list(v) for k, v in summary.items()}
        print(name, {k: round(v[0], 3) for k, v in summary.items()}, flush=True)

    rate = next(iter(models.values())).sample_rate
    silence = np.zeros(2 * rate, np.float32)
    items = cache.split("test")[:: max(1, len(cache.split("test")) // 4)][:4]
    rows, names = [], []
    for name, model in models.items():
        for how in ("dlib", "landmarks"):
            strip = []
            for item in items:
                ident, quiet = silent_from_open(model, cache, item, how, silence)
                strip += [ident] + [quiet[t] for t in (4, 16, 40)]
            rows.append(np.concatenate(strip, axis=1))
            names.append(f"{name} ({how})")
    Image.fromarray(label(rows, names)).save(f"{args.out}_test.png")
    Image.fromarray(closure_grid(models[list(models)[-1]], cache, args.clips, silence)).save(f"{args.out}_grid.png")

    speech = load_audio(SAMPLE_WAV, rate)
    rows, names = [], []
    for path in sample_photos():
        photo = np.asarray(Image.open(path).convert("RGB"))
        for name, model in models.items():
            kind = model.renderer(photo)
            talk = [lips for _, lips in model.stream_pairs(speech, photo)]
            quiet = [lips for _, lips in model.stream_pairs(silence, photo)]
            first = model.prepare(photo, close_mouth=False)[0]
            frames = [talk[int(t)] for t in np.linspace(8, len(talk) - 8, 8)] + [quiet[t] for t in (8, 30)]
            rows.append(np.concatenate([first, *frames], axis=1))
            names.append(f"{name}, {kind}: {path.stem}")
    Image.fromarray(label(rows, names)).save(f"{args.out}_photos.png")

    Path(f"{args.out}.json").write_text(json.dumps({"limit": args.limit, "clips": args.clips, "table": table},
                                                   indent=1) + "\n")
    cols = ("lmd", "ssim", "psnr", "cpbd", "alone_closure", "silence_closure")
    lines = ["| model | LMD | SSIM | PSNR (dB) | CPBD | closure in silence, generator alone (clips closed) | "
             "closure, `lipglance generate` on the bare crop (clips closed) | closure, with the crop's landmarks "
             "(clips closed) | opening in silence, open / closed identity (px) |", "|---" * 9 + "|"]
    for name, v in table.items():
        cells = [f"{v[k][0]:.3f} ± {v[k][1]:.3f}" for k in cols[:4]]
        cells.append(f"{v['alone_closure'][0]:.2f} ({v['alone_closed_share'][0]:.0%})")
        cells.append(f"{v['silence_closure'][0]:.2f} ({v['silence_closed_share'][0]:.0%} of "
                     f"{v['silence_closed_share'][1]:.0f})")
        cells.append(f"{v['marked_closure'][0]:.2f} ({v['marked_closed_share'][0]:.0%})")
        cells.append(f"{v['silence_opening'][0]:.2f} / {v['silence_opening_from_closed'][0]:.2f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    Path(f"{args.out}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
