"""Give a fine-tuned shape head the parts it did not change: the tracks and the motion probe of another model.

    .venv/bin/python scripts/graft_parts.py runs/x/shape.safetensors --from lipglance/assets/default.safetensors \\
        -o runs/x/model.safetensors

`lipglance train shape --init MODEL` fine-tunes a model's shape head (and its own audio encoder) with the generator
frozen; the export has no seal, round or tongue track (they hear the raw log-mel, not the head) and no motion
probe (it reads the frozen generator's frames). They stay valid, so they are copied from the model the head
started from (with their records in the checkpoint's extras), and a head is compared with its parent on the head
alone. The generator outside the head must be the same in both: checked, tensor by tensor.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import torch

from lipglance.checkpoint import load_checkpoint, save_checkpoint
from lipglance.track_io import TRACKS


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("weights", help="the fine-tuned model (a shape stage's export)")
    p.add_argument("--from", dest="source", required=True, help="the model with the tracks and motion probe")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--track-only", action="store_true", help="leave the motion probe out (a quicker `lipglance "
                   "evaluate --sync`: no proxy frames to generate)")
    args = p.parse_args()
    head, src = load_checkpoint(args.weights, kind="generator"), load_checkpoint(args.source, kind="generator")
    frozen = [k for k, v in head.tensors.items() if not k.startswith(("shape_head.", "motion."))]
    if any(k not in src.tensors or not torch.equal(head.tensors[k], src.tensors[k]) for k in frozen):
        raise SystemExit(f"{args.weights} and {args.source} have different generators: nothing to graft")
    tracks = tuple(TRACKS.values())
    kinds = tracks if args.track_only else (*tracks, "motion.")
    parts = {k: v for k, v in src.tensors.items() if k.startswith(kinds)}
    tensors = {k: v for k, v in head.tensors.items() if not k.startswith((*tracks, "motion."))} | parts
    gen = dataclasses.replace(head.config.generator,
                              **{f"{k}_track": getattr(src.config.generator, f"{k}_track") for k in TRACKS})
    records = (*TRACKS, *("motion",) * (not args.track_only))
    extra = head.extra | {k: src.extra[k] for k in records if k in src.extra}
    save_checkpoint(Path(args.output), tensors, dataclasses.replace(head.config, generator=gen), "generator", extra)
    print(f"wrote {args.output}: {len(parts)} tensors of the tracks and motion probe from {args.source}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
