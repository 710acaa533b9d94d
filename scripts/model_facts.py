"""The bundled model's facts the model card quotes: size, parameters, motion probe and its score, step, config.

    .venv/bin/python scripts/model_facts.py [--weights W] > docs/results/default_model.json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from torch import nn

from lipglance.checkpoint import load_checkpoint
from lipglance.inference.model.lipsync import LipSync

DEFAULT = Path(__file__).resolve().parents[1] / "lipglance" / "assets" / "default.safetensors"


def params_m(module: nn.Module) -> float:
    return round(sum(p.numel() for p in module.parameters()) / 1e6, 3)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--weights", type=Path, default=DEFAULT)
    args = p.parse_args()
    model = LipSync.from_pretrained(args.weights)
    head = model.generator.shape_head
    extra = load_checkpoint(args.weights).extra
    tracks = [t for t in (head.track, head.round, head.tongue) if t is not None] if head else []
    facts = {"file": args.weights.name, "file_mb": round(args.weights.stat().st_size / 1e6, 2),
             "generator_params_m": round(params_m(model.generator) - (params_m(head) if head else 0.0), 3),
             "shape_head_params_m": round(params_m(head) - sum(params_m(t) for t in tracks), 3) if head else None,
             "seal_track_params_m": params_m(head.track) if head and head.track else None,
             "tongue_track_params_m": params_m(head.tongue) if head and head.tongue else None,
             "motion_gain": round(float(model.motion.gain), 3) if model.motion is not None else None,
             # what `lipglance motion` measured on the test split when it fitted the probe
             "motion": extra.get("motion"),
             "seal": extra.get("seal"),  # what `lipglance seal` measured when it fitted the seal track
             "tongue": extra.get("tongue"),  # what `lipglance seal --tongue` measured when it fitted the tongue track
             "step": extra.get("step"), "config": dataclasses.asdict(model.config)}
    print(json.dumps(facts, indent=1))


if __name__ == "__main__":
    main()
