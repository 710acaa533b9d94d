"""Training state on disk: every module, optimiser, the step, RNG and data position, in safetensors.

Optimiser tensors go into the safetensors file; their non-tensor structure (hyperparameters,
parameter indices) and the loop position into its JSON header. Nothing is pickled. The
exported networks (generator, flow, autoencoder) are separate checkpoints (lipglance.checkpoint).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from lipglance.checkpoint import CheckpointError, fit_module, load_checkpoint, save_checkpoint
from lipglance.config import GlanceConfig


@dataclass
class LoopPosition:
    step: int = 0
    epoch: int = 0
    batch_in_epoch: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def _flatten_optimizer(name: str, opt: torch.optim.Optimizer, out: dict[str, torch.Tensor]) -> dict[str, Any]:
    sd = opt.state_dict()
    scalars: dict[str, dict[str, Any]] = {}
    for idx, state in sd["state"].items():
        for key, value in state.items():
            if torch.is_tensor(value):
                out[f"optim/{name}/{idx}/{key}"] = value
            else:
                scalars.setdefault(str(idx), {})[key] = value
    return {"param_groups": sd["param_groups"], "scalars": scalars}


def _restore_optimizer(name: str, opt: torch.optim.Optimizer, tensors: dict[str, torch.Tensor],
                       meta: dict[str, Any]) -> None:
    state: dict[int, dict[str, Any]] = {}
    prefix = f"optim/{name}/"
    for key, value in tensors.items():
        if key.startswith(prefix):
            idx, field_name = key[len(prefix):].split("/", 1)
            state.setdefault(int(idx), {})[field_name] = value
    for idx, scalars in meta.get("scalars", {}).items():
        state.setdefault(int(idx), {}).update(scalars)
    opt.load_state_dict({"state": state, "param_groups": meta["param_groups"]})


def save_state(path: Path, cfg: GlanceConfig, modules: dict[str, nn.Module],
               optimizers: dict[str, torch.optim.Optimizer], pos: LoopPosition) -> None:
    tensors: dict[str, torch.Tensor] = {}
    for name, module in modules.items():
        for key, value in module.state_dict().items():
            tensors[f"model/{name}/{key}"] = value
    optim_meta = {name: _flatten_optimizer(name, opt, tensors) for name, opt in optimizers.items()}
    tensors["rng/torch"] = torch.get_rng_state()
    if torch.cuda.is_available():
        tensors["rng/cuda"] = torch.cuda.get_rng_state()
    extra = {"step": pos.step, "epoch": pos.epoch, "batch_in_epoch": pos.batch_in_epoch, "optim": optim_meta,
             "loop": pos.extra}
    save_checkpoint(path, tensors, cfg, "training", extra)


TRACKS = ("track", "round", "tongue")  # the shape head's tracks, fitted after training by `lipglance seal`


def load_weights(path: Path, modules: dict[str, nn.Module]) -> None:
    """Only the networks of a training state (for fine-tuning under another config); shapes must match. A shape
    head may also start from an exported model's (a generator checkpoint such as the bundled default: its shape
    head without its seal, round and tongue tracks, which `lipglance seal` fits afterwards)."""
    ckpt = load_checkpoint(path)
    if ckpt.kind not in ("training", "generator") or (ckpt.kind == "generator" and set(modules) != {"shape_head"}):
        raise CheckpointError(f"{path} holds a '{ckpt.kind}' checkpoint: --init takes a training state "
                              "(STAGE/state.safetensors), or a generator checkpoint for the shape stage")
    for name, module in modules.items():
        prefix = f"model/{name}/" if ckpt.kind == "training" else "shape_head."
        tensors = {k[len(prefix):]: v for k, v in ckpt.tensors.items()
                   if k.startswith(prefix) and not k.startswith(tuple(f"{prefix}{t}." for t in TRACKS))}
        if not tensors and name == "ema":  # a state trained without EMA: start the EMA from the generator
            prefix = "model/generator/"
            tensors = {k[len(prefix):]: v for k, v in ckpt.tensors.items() if k.startswith(prefix)}
        try:
            fresh = [k for k in module.state_dict() if k.startswith("shape_head.") and k not in tensors]
            module.load_state_dict(tensors, strict=not fresh)  # a shape head may start fresh (lipglance.shape)
            if fresh and set(module.state_dict()) - set(tensors) - set(fresh):
                raise RuntimeError(f"size mismatch\n missing {sorted(set(module.state_dict()) - set(tensors))[0]}")
        except RuntimeError as e:
            lines = str(e).strip().splitlines()  # torch: a header line, then one line per mismatch
            detail = lines[min(1, len(lines) - 1)].strip()
            raise CheckpointError(f"{path}: its {name} network does not fit this config ({detail})") from None


def load_state(path: Path, cfg: GlanceConfig, modules: dict[str, nn.Module],
               optimizers: dict[str, torch.optim.Optimizer]) -> LoopPosition:
    ckpt = load_checkpoint(path, kind="training")
    if ckpt.config.to_json() != cfg.to_json():
        raise CheckpointError(f"{path} was trained with another config ({ckpt.config.name}); resume with the same "
                              "--config, or start a new --out")
    for name, module in modules.items():
        prefix = f"model/{name}/"
        tensors = {k[len(prefix):]: v for k, v in ckpt.tensors.items() if k.startswith(prefix)}
        fit_module(module, tensors, path, f"{name} network")
        module.load_state_dict(tensors)
    try:
        for name, opt in optimizers.items():
            _restore_optimizer(name, opt, ckpt.tensors, ckpt.extra["optim"][name])
        torch.set_rng_state(ckpt.tensors["rng/torch"])
        if "rng/cuda" in ckpt.tensors and torch.cuda.is_available():
            torch.cuda.set_rng_state(ckpt.tensors["rng/cuda"])
        e = ckpt.extra
        pos = LoopPosition(int(e["step"]), int(e["epoch"]), int(e["batch_in_epoch"]), dict(e.get("loop", {})))
    except (KeyError, IndexError, TypeError, ValueError, RuntimeError) as err:
        raise CheckpointError(f"{path}: its optimizer or loop state is incomplete or does not fit "
                              f"({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''})") from None
    if pos.step < 0:
        raise CheckpointError(f"{path}: its step {pos.step} is negative")
    return pos
