"""How well shape heads' closure gates tell sealed lips (p/b/m) from open ones, per split.

    .venv/bin/python scripts/gate_report.py --data data/corpus --out docs/gate NAME=WEIGHTS [NAME=WEIGHTS ...]

WEIGHTS@gate: the model's own closure gate even where it holds a seal track (`lipglance seal`), which otherwise
gives the logits (shifted onto the gate's threshold, as inference uses them).

Per model and split (train: the training voices; val, test: the held-out voice): the gate's logit per frame
as inference computes it (windows cross-faded), on frames the corpus's phones seal (p/b/m) and on frames the
truth holds clearly open (opening > 0.09 rest widths): the share of seals above 0 and above the model's
calibrated threshold, the share of open frames above it (false closures), and the AUC of seals against open
frames. Writes OUT.json and OUT.md.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from lipglance.data.cache import Cache
from lipglance.inference.model.lipsync import LipSync
from lipglance.seal_fit import auc as roc_auc
from lipglance.seal_fit import seal_clips, split_logits

LIMITS = {"train": 150, "val": 0, "test": 120}  # clips per split (0: all)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("models", nargs="+", help="NAME=WEIGHTS")
    args = p.parse_args()
    cache = Cache(args.data)
    report: dict[str, dict[str, dict[str, float]]] = {}
    for spec in args.models:
        name, weights = spec.split("=", 1)
        gate_only = weights.endswith("@gate")
        model = LipSync.from_pretrained(weights.removesuffix("@gate"))
        model.track = not gate_only
        head = model.generator.shape_head
        assert head is not None and head.gated, f"{weights}: no closure gate"
        th = float(head.gate_threshold)
        report[name] = {"threshold": {"value": th}}
        for split, limit in LIMITS.items():
            seal, wide = split_logits(model.gate_logits_of_mel, seal_clips(cache, split, limit=limit))
            auc = roc_auc(seal, wide)
            report[name][split] = {"seal_frames": int(len(seal)), "open_frames": int(len(wide)),
                                   "seals_above_0": float((seal > 0).mean()), "seals_closed": float((seal > th).mean()),
                                   "open_closed": float((wide > th).mean()), "auc": auc}
            print(name, split, {k: round(v, 3) for k, v in report[name][split].items()}, flush=True)
    out = Path(args.out)
    out.with_suffix(".json").write_text(json.dumps(report, indent=1) + "\n")
    lines = ["| model | split | seal frames | seals with logit > 0 | seals closed (calibrated) | open frames closed "
             "| AUC |", "|---|---|---|---|---|---|---|"]
    for name, r in report.items():
        for split in LIMITS:
            s = r[split]
            lines.append(f"| {name} | {split} | {s['seal_frames']} | {s['seals_above_0']:.0%} | "
                         f"{s['seals_closed']:.0%} | {s['open_closed']:.1%} | {s['auc']:.3f} |")
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
