"""Calibrate a model's width: match the spread of the shape head's mouth width to the truth's on a training split.

    .venv/bin/python scripts/calibrate_width.py lipglance/assets/default.safetensors --data data/wide_part \\
        -o runs/x/model.safetensors --record docs/width_calibration.json [--match rounding]

A regression head under-draws rounding and spreading even on clips it learnt from (docs/sync_ablations/README.md,
"Width calibration"): its widths spread less than the truth's. This fits one factor, the standard deviation of the
truth's mouth width (lipglance.shape.width_of) over that of the head's, on the frames of a split whose closure gate
stays open (the gate's sealed shape is not the head's), and stores it as generator.shape_width_gain in the copied
checkpoint's config; every path that renders the head's shapes multiplies the predicted horizontal displacements by it
(lipglance.inference.model.windows.gated_shape). The tensors are copied unchanged. Fit it on a TRAINING split only,
never on the held-out voice the model is then evaluated on.

`--match rounding` fits the factor instead so that the head's mean width on rounded vowels over that on spread vowels
(lipglance.shape.frame_classes) is the truth's on the same frames: matching the spread of all widths also matches
the head's errors, so it under-draws rounding where the head is right (docs/sync_ablations/README.md, "Rounding
calibration"). The record holds both gains (the rounding one where the split has rounded and spread vowels the
head draws apart) and the width error at each.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np

from lipglance.checkpoint import load_checkpoint, save_checkpoint
from lipglance.data.cache import Cache
from lipglance.inference.model.lipsync import LipSync
from lipglance.shape import clip_shapes, frame_classes, width_of

MATCH = ("spread", "rounding")


def rounding_gain(head: np.ndarray, truth: np.ndarray, classes: np.ndarray) -> float:
    """The factor g on the head's width change (width 1 + g (w - 1)) that makes its mean width on rounded frames over
    that on spread frames the truth's: (1 + g a_r) / (1 + g a_s) = R, so g = (R - 1) / (a_r - R a_s)."""
    rounded, spread = classes == "rounded", classes == "spread"
    if not (rounded.any() and spread.any()):
        raise ValueError("the split has no rounded or no spread vowel frames to match")
    ratio = float(truth[rounded].mean() / truth[spread].mean())
    a_r, a_s = float(head[rounded].mean() - 1), float(head[spread].mean() - 1)
    if a_r - ratio * a_s >= 0:
        raise ValueError("the head draws rounded vowels no narrower than spread ones: no gain matches the truth")
    return (ratio - 1) / (a_r - ratio * a_s)


def width_gain(model: LipSync, cache: Cache, split: str, match: str = "spread") -> dict[str, Any]:
    """The calibration record of `model` (its own gain set aside) on `split` of `cache`: gain and what it came from;
    `match` "spread": the width's standard deviation, "rounding": the rounded/spread width ratio."""
    base = dataclasses.replace(model, config=dataclasses.replace(
        model.config, generator=dataclasses.replace(model.config.generator, shape_width_gain=1.0)))
    gate = base.shape_gate()
    assert gate is not None
    closed = gate[2]
    items = [it for it in cache.split(split) if it.get("meta", {}).get("phones")]
    if not items:
        raise SystemExit(f"{cache.root}: split {split!r} has no clips with phone timings")
    pred, truth, classes = [], [], []
    for it in items:
        t = clip_shapes(it, np.asarray(cache.landmarks(it)))
        p = base.shapes_of_mel(np.asarray(cache.mel(it)))[:len(t)]
        head = ~np.all(np.isclose(p, closed[None]), axis=(1, 2))  # frames the gate left to the head
        pred.append(width_of(p[head]))
        truth.append(width_of(t[:len(p)][head]))
        classes.append(frame_classes(it, len(p))[head])
    wp, wt, cls = np.concatenate(pred), np.concatenate(truth), np.concatenate(classes)
    gains = {"spread": float(wt.std() / wp.std())}
    try:
        gains["rounding"] = rounding_gain(wp, wt, cls)
    except ValueError as e:
        if match == "rounding":
            raise SystemExit(f"{cache.root}: {e}") from None
    rounded, spread = cls == "rounded", cls == "spread"

    def ratio(name: str, w: np.ndarray) -> dict[str, float]:
        """{name: rounded/spread mean width of `w`}, or nothing where the split lacks either class."""
        return {name: float(w[rounded].mean() / w[spread].mean())} if rounded.any() and spread.any() else {}

    at = {name: {"width_mae": float(np.abs(1 + g * (wp - 1) - wt).mean()), **ratio("rounded_spread", 1 + g * (wp - 1))}
          for name, g in gains.items()}
    return {"gain": round(gains[match], 4), "match": match, "gains": {k: round(v, 4) for k, v in gains.items()},
            "at_gain": at, "width_mae_constant": float(np.abs(wt - wt.mean()).mean()),
            **ratio("rounded_spread_truth", wt),
            "split": split, "clips": len(items), "frames": int(len(wp)),
            "width_std_head": float(wp.std()), "width_std_truth": float(wt.std()),
            "width_mean_head": float(wp.mean()), "width_mean_truth": float(wt.mean()),
            "width_r": float(np.corrcoef(wp, wt)[0, 1])}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("weights", help="a generator checkpoint with a shape head")
    p.add_argument("--data", required=True, help="a synthetic corpus (lipglance synth) holding the training split")
    p.add_argument("--split", default="train", help="the split to fit on (a training split; default train)")
    p.add_argument("-o", "--output", required=True, help="the calibrated copy of the checkpoint")
    p.add_argument("--record", default=None, help="also write the calibration record here (json)")
    p.add_argument("--match", choices=MATCH, default="spread", help="what the gain matches to the truth's: the "
                   "width's spread (standard deviation, default) or the rounded/spread vowel width ratio")
    args = p.parse_args()
    model = LipSync.from_pretrained(args.weights)
    record = width_gain(model, Cache(args.data), args.split, args.match)
    record |= {"weights": args.weights, "data": args.data,
               "command": " ".join([".venv/bin/python scripts/calibrate_width.py", args.weights, "--data", args.data,
                                    *(["--split", args.split] if args.split != "train" else []), "-o", args.output,
                                    *(["--record", args.record] if args.record else []),
                                    *(["--match", args.match] if args.match != "spread" else [])])}
    ckpt = load_checkpoint(args.weights, kind="generator")
    gen = dataclasses.replace(ckpt.config.generator, shape_width_gain=record["gain"])
    save_checkpoint(Path(args.output), ckpt.tensors, dataclasses.replace(ckpt.config, generator=gen), "generator",
                    ckpt.extra | {"width_calibration": {k: v for k, v in record.items() if k != "command"}})
    if args.record:
        Path(args.record).write_text(json.dumps(record, indent=1) + "\n")
    print(json.dumps(record, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
