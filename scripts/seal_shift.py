"""Move a model's seal-track threshold: another operating point of the same detector, for comparing heads fairly.

    .venv/bin/python scripts/seal_shift.py runs/x/model.safetensors --shift -0.4 -o runs/x/model_m04.safetensors

The seal track closes the lips where its logit passes its threshold (`shape_head.track.threshold`, set by `lipglance
seal` on calibration clips). A negative shift lowers it: more p/b/m frames closed and more open frames closed by
mistake. Every other tensor is copied unchanged; the shift is recorded in the checkpoint's extras (`seal_shift`).
"""

from __future__ import annotations

import argparse

from lipglance.checkpoint import load_checkpoint, save_checkpoint

KEY = "shape_head.track.threshold"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("weights", help="a model with a seal track")
    p.add_argument("--shift", type=float, required=True, help="added to the threshold (logit units)")
    p.add_argument("-o", "--output", required=True)
    args = p.parse_args()
    ckpt = load_checkpoint(args.weights, kind="generator")
    if KEY not in ckpt.tensors:
        raise SystemExit(f"{args.weights} has no seal track: fit one with `lipglance seal`")
    tensors = dict(ckpt.tensors)
    tensors[KEY] = tensors[KEY] + args.shift
    extra = ckpt.extra | {"seal_shift": float(ckpt.extra.get("seal_shift", 0.0)) + args.shift}
    save_checkpoint(args.output, tensors, ckpt.config, "generator", extra)
    print(f"{args.output}: seal threshold {float(ckpt.tensors[KEY]):.4f} -> {float(tensors[KEY]):.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
