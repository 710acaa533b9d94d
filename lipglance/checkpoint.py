"""Checkpoints: safetensors weights + JSON config and extras in the header + a format version.

Nothing is ever unpickled. Saving is atomic (temp file, fsync, rename). Loading refuses an
unknown format version, a file whose tensors do not match their recorded SHA-256, anything
safetensors cannot parse, a config out of range and NaN or infinite weights, each with a
one-line `CheckpointError`. `fit_module` and `check_generator` then check tensor names and
shapes against the network the config builds (on the meta device: no memory for absurd
configs), and a generator's audio statistics, before any weight is loaded.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save as st_save
from torch import nn

from lipglance.config import ConfigError, GlanceConfig, config_from_dict
from lipglance.io.outputs import atomic_write

MAX_PARAMETERS = 2_000_000_000  # a config that builds a larger network is refused before it is built

FORMAT_VERSION = 1


class CheckpointError(RuntimeError):
    """A checkpoint that cannot or must not be loaded."""


@dataclass
class Checkpoint:
    tensors: dict[str, torch.Tensor]
    config: GlanceConfig
    kind: str  # "generator", "training", "flow", "autoencoder", ...
    extra: dict[str, Any] = field(default_factory=dict)  # audio_stats, step, ...


def tensor_digest(tensors: dict[str, torch.Tensor]) -> str:
    """SHA-256 over names, dtypes, shapes and bytes of every tensor, in name order."""
    h = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def save_checkpoint(path: str | Path, tensors: dict[str, torch.Tensor], config: GlanceConfig,
                    kind: str, extra: dict[str, Any] | None = None) -> Path:
    """Atomically save `tensors` with the config, kind and JSON-serialisable `extra`."""
    path = Path(path)
    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    metadata = {
        "glance_format": str(FORMAT_VERSION),
        "kind": kind,
        "config": config.to_json(),
        "extra": json.dumps(extra or {}, sort_keys=True),
        "sha256": tensor_digest(tensors),
    }
    atomic_write(path, st_save(tensors, metadata=metadata))
    return path


def load_checkpoint(path: str | Path, kind: str | None = None) -> Checkpoint:
    """Load and verify a checkpoint; `kind` (if given) must match what was saved."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 - safe_open has no iterator
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"{path} is not a readable safetensors checkpoint ({e})") from None
    version = meta.get("glance_format")
    if version is None:
        raise CheckpointError(f"{path} is a safetensors file but not a glance checkpoint (no format version)")
    if version != str(FORMAT_VERSION):
        raise CheckpointError(f"{path} has checkpoint format {version}; this glance reads format "
                              f"{FORMAT_VERSION} only: use the glance version that wrote it")
    if tensor_digest(tensors) != meta.get("sha256"):
        raise CheckpointError(f"{path} is corrupted or was modified: its tensors do not match the recorded "
                              "SHA-256; re-download or re-export it")
    try:
        config = config_from_dict(json.loads(meta["config"]))
        extra = json.loads(meta.get("extra", "{}"))
    except (KeyError, json.JSONDecodeError, ConfigError, TypeError) as e:
        raise CheckpointError(f"{path} has an unreadable config ({e})") from None
    if kind is not None and meta.get("kind") != kind:
        raise CheckpointError(f"{path} holds a '{meta.get('kind')}' checkpoint, not a '{kind}' one")
    if not isinstance(extra, dict):
        raise CheckpointError(f"{path} has unreadable extras (not a JSON object)")
    check_audio_config(config, path)
    for name, t in tensors.items():
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            raise CheckpointError(f"{path}: tensor {name} holds NaN or infinite values: the model is broken "
                                  "(a diverged run?); use an earlier checkpoint")
    return Checkpoint(tensors=tensors, config=config, kind=meta["kind"], extra=extra)


def check_audio_config(config: GlanceConfig, path: str | Path) -> None:
    """The audio settings a checkpoint was trained with must be ones glance can run."""
    a = config.audio
    problems = []
    if not 8000 <= a.sample_rate <= 192000:
        problems.append(f"sample_rate {a.sample_rate} Hz (need 8000..192000)")
    elif not 1 <= a.fps <= 120 or not 1 <= a.mels_per_frame <= 16 or a.sample_rate % (a.fps * a.mels_per_frame):
        problems.append(f"fps {a.fps} x mels_per_frame {a.mels_per_frame} must divide sample_rate {a.sample_rate}")
    elif not a.sample_rate // (a.fps * a.mels_per_frame) <= a.n_fft <= 16384:
        problems.append(f"n_fft {a.n_fft} (need hop..16384)")
    if not 8 <= a.n_mels <= 512:
        problems.append(f"n_mels {a.n_mels} (need 8..512)")
    fmax = a.sample_rate / 2 if a.fmax is None else a.fmax
    if not (math.isfinite(a.fmin) and math.isfinite(fmax) and 0 <= a.fmin < fmax <= a.sample_rate / 2):
        problems.append(f"fmin {a.fmin} / fmax {a.fmax} (need 0 <= fmin < fmax <= sample_rate / 2)")
    if not (math.isfinite(a.log_floor) and a.log_floor > 0):
        problems.append(f"log_floor {a.log_floor} (need > 0)")
    if problems:
        raise CheckpointError(f"{path} has an unusable audio config: {problems[0]}")


def fit_module(module: nn.Module, tensors: dict[str, torch.Tensor], path: str | Path, what: str,
               ignore: tuple[str, ...] = ()) -> None:
    """Refuse tensors whose names or shapes differ from `module`'s (names starting with `ignore` aside)."""
    expected = module.state_dict()
    given = {k: v for k, v in tensors.items() if not k.startswith(ignore)} if ignore else tensors
    missing = sorted(set(expected) - set(given))
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        raise CheckpointError(f"{path}: its {what} lacks tensor {missing[0]}{more}: it does not fit its config")
    unknown = sorted(set(given) - set(expected))
    if unknown:
        raise CheckpointError(f"{path}: its {what} holds an unknown tensor {unknown[0]}: it does not fit its config")
    for name, t in expected.items():
        if tuple(given[name].shape) != tuple(t.shape):
            raise CheckpointError(f"{path}: tensor {name} of its {what} has shape {list(given[name].shape)}, its "
                                  f"config builds {list(t.shape)}")
        if given[name].is_floating_point() != t.is_floating_point():
            raise CheckpointError(f"{path}: tensor {name} of its {what} has dtype {given[name].dtype}, not "
                                  f"{t.dtype}")


def meta_module(build: Any, path: str | Path, what: str) -> nn.Module:
    """`build()` on the meta device (no memory), refusing a config whose network is absurdly large."""
    try:
        with torch.device("meta"):
            module = build()
    except (ValueError, RuntimeError, TypeError, ZeroDivisionError, ConfigError) as e:
        raise CheckpointError(f"{path}: its config cannot build the {what} ({str(e).splitlines()[0]})") from None
    if not isinstance(module, nn.Module):
        raise CheckpointError(f"{path}: its config cannot build the {what}")
    count = sum(p.numel() for p in module.parameters())
    if count > MAX_PARAMETERS:
        raise CheckpointError(f"{path}: its config builds a {what} of {count:,} parameters: not a glance model")
    return module


def check_generator(ckpt: Checkpoint, path: str | Path) -> None:
    """A generator checkpoint's tensors fit the network its config builds (a `shape_head.*` exactly when the
    config has one), its motion probe (`motion.*`, optional) is whole, and its audio stats are usable."""
    from lipglance.motion import mouth_features
    from lipglance.nn import Generator

    cfg = ckpt.config
    gen = meta_module(lambda: Generator(cfg.generator, cfg.audio), path, "generator")
    fit_module(gen, ckpt.tensors, path, "generator", ignore=("motion.",))
    motion = {k: v for k, v in ckpt.tensors.items() if k.startswith("motion.")}
    if motion:
        s = cfg.generator.image_size
        n_features = mouth_features(torch.zeros(1, s, s, 3, dtype=torch.uint8).numpy()).shape[1]
        shapes = {"motion.weights": (n_features,), "motion.bias": (), "motion.proxy": (s, s, 3),
                  "motion.width": (), "motion.gain": ()}
        for name, shape in shapes.items():
            if name not in motion or tuple(motion[name].shape) != shape:
                raise CheckpointError(f"{path}: its motion probe lacks {name} {list(shape)} or has another shape")
        if motion["motion.proxy"].dtype != torch.uint8 or not float(motion["motion.width"]) > 0:
            raise CheckpointError(f"{path}: its motion probe is broken (proxy not uint8, or width not > 0)")
        unknown = sorted(set(motion) - set(shapes))
        if unknown:
            raise CheckpointError(f"{path}: its motion probe holds an unknown tensor {unknown[0]}")
    check_audio_stats(ckpt.extra.get("audio_stats"), cfg.audio.n_mels, path)


def check_audio_stats(stats: object, n_mels: int, path: str | Path) -> None:
    """{"mean": [n_mels floats], "std": [n_mels floats > 0]}, all finite."""
    if not isinstance(stats, dict) or not isinstance(stats.get("mean"), list) or \
            not isinstance(stats.get("std"), list):
        raise CheckpointError(f"{path} holds no audio statistics (extra.audio_stats with mean and std lists)")
    mean, std = stats["mean"], stats["std"]
    if len(mean) != n_mels or len(std) != n_mels:
        raise CheckpointError(f"{path}: its audio statistics have {len(mean)}/{len(std)} bands, its config "
                              f"{n_mels}")
    numbers = [*mean, *std]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in numbers):
        raise CheckpointError(f"{path}: its audio statistics hold values that are not finite numbers")
    if min(std) <= 0:
        raise CheckpointError(f"{path}: its audio statistics hold a std <= 0")
