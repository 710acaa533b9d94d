"""Checkpoints: safetensors weights + JSON config and extras in the header + a format version.

Nothing is ever unpickled. Saving is atomic (temp file, fsync, rename). Loading refuses an
unknown format version, a file whose tensors do not match their recorded SHA-256, and
anything safetensors cannot parse, each with a one-line `CheckpointError`.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save as st_save

from glance.config import ConfigError, GlanceConfig, config_from_dict

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


def atomic_write(path: Path, data: bytes) -> None:
    """Write bytes so that `path` is either the old file or the complete new one, never partial."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual permissions
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


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
    return Checkpoint(tensors=tensors, config=config, kind=meta["kind"], extra=extra)
