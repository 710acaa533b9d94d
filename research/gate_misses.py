"""Which p/b/m a shape head's closure gate misses: per bilabial phone of a split, whether the gate's logit passes
the model's threshold on any of the phone's sealed frames, grouped by phone, by neighbour (after a pause, before
one, inside speech) and by duration.

    .venv/bin/python research/gate_misses.py --data data/open --out docs/sync_ablations/gate_misses WEIGHTS

Writes OUT.json (and prints it).
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from lipglance.data.cache import Cache
from lipglance.inference.model.lipsync import LipSync
from lipglance.shape import visual_times
from lipglance.synth.articulation import BILABIAL, closure_half


def phone_rows(model: LipSync, cache: Cache, split: str, limit: int, th: float) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for it in cache.split(split)[:limit]:
        logits = model.gate_logits_of_mel(np.asarray(cache.mel(it)))
        t = visual_times(it, len(logits))
        phones = it["meta"]["phones"]
        for k, (canon, start, end) in enumerate(phones):
            sealed = np.abs(t - (start + end) / 2) <= closure_half(end - start)
            if canon not in BILABIAL or not sealed.any():
                continue
            before = phones[k - 1][0] if k else "sil"
            after = phones[k + 1][0] if k + 1 < len(phones) else "sil"
            where = "after a pause" if before == "sil" else "before a pause" if after == "sil" else "inside speech"
            dur = end - start
            rows.append({"phone": canon, "where": where, "duration": "< 60 ms" if dur < 0.06 else
                         "60-90 ms" if dur < 0.09 else ">= 90 ms", "detected": bool(logits[sealed].max() > th)})
    return rows


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--split", default="test")
    p.add_argument("--limit", type=int, default=120)
    p.add_argument("weights")
    args = p.parse_args()
    model = LipSync.from_pretrained(args.weights)
    head = model.generator.shape_head
    assert head is not None and head.gated, f"{args.weights}: no closure gate"
    rows = phone_rows(model, Cache(args.data), args.split, args.limit, float(head.gate_threshold))
    report: dict[str, object] = {"weights": args.weights, "split": args.split, "phones": len(rows),
                                 "detected": float(np.mean([r["detected"] for r in rows]))}
    for key in ("phone", "where", "duration"):
        groups: dict[str, list[bool]] = defaultdict(list)
        for r in rows:
            groups[str(r[key])].append(bool(r["detected"]))
        report[key] = {g: {"phones": len(v), "detected": float(np.mean(v))} for g, v in sorted(groups.items())}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(f"{args.out}.json").write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
