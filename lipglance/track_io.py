"""A model rebuilt with an unfitted track (seal, round or tongue) to fit, and the model stored with it fitted.

Shared by `lipglance seal` (lipglance.seal_cli), `--round` (lipglance.round_cli) and `--tongue`
(lipglance.tongue_cli): the checkpoint's own tensors load into a generator whose config asks for the track, the
track alone left at its seed's initialisation; `store` writes the checkpoint with the track and the fit's record.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import torch

from lipglance.audio import AudioStats
from lipglance.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from lipglance.errors import UserError
from lipglance.inference.model.lipsync import LipSync
from lipglance.motion import MotionProbe
from lipglance.nn.generator import Generator

TRACKS = {"seal": "shape_head.track.", "round": "shape_head.round.", "tongue": "shape_head.tongue."}  # their tensors


def with_track(weights: str | Path, chunk: int, seed: int = 0,
               kind: str = "seal") -> tuple[LipSync, dict[str, torch.Tensor], dict]:
    """(the model rebuilt with an unfitted seal track (`kind` "seal"), round track ("round") or tongue track
    ("tongue") of `chunk` frames, initialised from `seed`, its motion tensors, the checkpoint's extra)."""
    ckpt = load_checkpoint(weights, kind="generator")
    g = ckpt.config.generator
    if not g.shape_components or not g.shape_gate:
        raise UserError(f"{weights}: the model has no gated shape head to fit a seal track onto "
                        "(train one with `lipglance train shape`)")
    if chunk < 8 or chunk % 2:
        raise UserError(f"--chunk {chunk}: give an even number of frames >= 8")
    prefix = TRACKS[kind]
    g = dataclasses.replace(g, seal_track=chunk) if kind == "seal" else dataclasses.replace(g, round_track=chunk) \
        if kind == "round" else dataclasses.replace(g, tongue_track=chunk)
    cfg = dataclasses.replace(ckpt.config, generator=g)
    torch.manual_seed(seed)
    gen = Generator(cfg.generator, cfg.audio)
    tensors = {k: v for k, v in ckpt.tensors.items() if not k.startswith(("motion.", prefix))}
    missing, unexpected = gen.load_state_dict(tensors, strict=False)
    if unexpected or any(not k.startswith(prefix) for k in missing):
        raise CheckpointError(f"{weights}: does not fit its own config ({(unexpected or missing)[0]})")
    model = LipSync(gen.eval(), cfg, AudioStats.from_dict(ckpt.extra["audio_stats"]), True, "cpu",
                    MotionProbe.from_tensors(ckpt.tensors))
    motion = {k: v for k, v in ckpt.tensors.items() if k.startswith("motion.")}
    return model, motion, ckpt.extra


def store(args: argparse.Namespace, model: LipSync, motion: dict[str, torch.Tensor], extra: dict,
          record: dict) -> Path:
    """Write the model with its fitted track (to `--output`, or over WEIGHTS) and `record` as `--report`."""
    out = Path(args.output) if args.output else Path(args.weights)
    save_checkpoint(out, model.generator.state_dict() | motion, model.config, "generator", extra)
    if args.report:
        Path(args.report).parent.mkdir(parents=True, exist_ok=True)
        Path(args.report).write_text(json.dumps({"weights": args.weights, **record}, indent=1) + "\n")
    return out
