"""Checkpoints: round trip, tampering, unknown versions, atomic writes, never unpickling."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from glance.audio import AudioStats
from glance.checkpoint import FORMAT_VERSION, CheckpointError, load_checkpoint, save_checkpoint
from glance.config import load_config
from glance.nn import Generator


def _saved(tmp_path: Path) -> tuple[Path, Generator]:
    cfg = load_config("tiny+cosine")
    torch.manual_seed(1)
    gen = Generator(cfg.generator, cfg.audio).eval()
    stats = AudioStats(mean=tuple(range(128)), std=(2.0,) * 128)
    path = save_checkpoint(tmp_path / "g.safetensors", gen.state_dict(), cfg, "generator",
                           {"audio_stats": stats.to_dict(), "step": 7})
    return path, gen


def test_save_load_gives_identical_outputs(tmp_path: Path) -> None:
    path, gen = _saved(tmp_path)
    ckpt = load_checkpoint(path, kind="generator")
    assert ckpt.config == load_config("tiny+cosine")
    assert ckpt.extra["step"] == 7
    assert AudioStats.from_dict(ckpt.extra["audio_stats"]).mean[5] == 5.0
    loaded = Generator(ckpt.config.generator, ckpt.config.audio).eval()
    loaded.load_state_dict(ckpt.tensors)
    mel, ident = torch.randn(2, 1, 64, 128), torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(gen(mel, ident), loaded(mel, ident))
    assert not list(tmp_path.glob(".*tmp")), "no temp file left behind"


def _header(path: Path) -> tuple[int, dict]:  # type: ignore[type-arg]
    raw = path.read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    return n, json.loads(raw[8:8 + n])


def test_tampered_weights_are_refused(tmp_path: Path) -> None:
    path, _ = _saved(tmp_path)
    raw = bytearray(path.read_bytes())
    raw[-10] ^= 0xFF  # flip bits inside the last tensor's data
    path.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match="corrupted or was modified"):
        load_checkpoint(path)


def test_truncated_file_is_refused(tmp_path: Path) -> None:
    path, _ = _saved(tmp_path)
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="not a readable safetensors"):
        load_checkpoint(path)


def test_unknown_version_is_refused(tmp_path: Path) -> None:
    path, _ = _saved(tmp_path)
    ckpt = load_checkpoint(path)
    meta = _header(path)[1]["__metadata__"]
    meta["glance_format"] = str(FORMAT_VERSION + 1)
    save_file(ckpt.tensors, str(path), metadata=meta)
    with pytest.raises(CheckpointError, match=f"format {FORMAT_VERSION + 1}"):
        load_checkpoint(path)


def test_foreign_safetensors_and_wrong_kind_are_refused(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(3)}, str(foreign))
    with pytest.raises(CheckpointError, match="not a glance checkpoint"):
        load_checkpoint(foreign)
    path, _ = _saved(tmp_path)
    with pytest.raises(CheckpointError, match="'generator' checkpoint, not a 'training'"):
        load_checkpoint(path, kind="training")


def test_a_pickle_is_never_loaded(tmp_path: Path) -> None:
    evil = tmp_path / "evil.safetensors"
    torch.save({"w": torch.zeros(3)}, evil)  # a pickle with a misleading name
    with pytest.raises(CheckpointError):
        load_checkpoint(evil)


def test_overwrite_is_atomic(tmp_path: Path) -> None:
    path, _ = _saved(tmp_path)
    before = path.read_bytes()
    cfg = load_config("tiny")

    class Boom(dict):  # type: ignore[type-arg]
        def items(self):  # type: ignore[no-untyped-def]
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        save_checkpoint(path, Boom(), cfg, "generator")
    assert path.read_bytes() == before
