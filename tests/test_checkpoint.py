"""Checkpoints: round trip, tampering, unknown versions, atomic writes, never unpickling."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from lipglance.audio import AudioStats
from lipglance.checkpoint import FORMAT_VERSION, CheckpointError, load_checkpoint, save_checkpoint
from lipglance.config import load_config
from lipglance.nn import Generator


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


def _resigned(tmp_path: Path, edit_tensors: object = None, stats: object = "keep", shape_components: int = 0,
              **audio: object) -> Path:
    """A generator checkpoint edited and saved again, so that its SHA-256 matches (only validation can tell)."""
    import dataclasses

    cfg = load_config("tiny")
    cfg = dataclasses.replace(cfg, audio=dataclasses.replace(cfg.audio, **audio),  # type: ignore[arg-type]
                              generator=dataclasses.replace(cfg.generator, shape_components=shape_components))
    torch.manual_seed(0)
    tensors = Generator(cfg.generator, load_config("tiny").audio).state_dict()
    if callable(edit_tensors):
        edit_tensors(tensors)
    extra = {"audio_stats": AudioStats.identity(128).to_dict()} if stats == "keep" else {"audio_stats": stats}
    path = save_checkpoint(tmp_path / "g.safetensors", tensors, cfg, "generator", extra)
    return path


def _first(t: dict[str, torch.Tensor]) -> str:
    return next(k for k, v in t.items() if v.ndim >= 2)


@pytest.mark.parametrize("case, message", [
    ("all_nan", "NaN or infinite"),
    ("one_inf", "NaN or infinite"),
    ("missing", "lacks tensor"),
    ("extra", "unknown tensor"),
    ("reshaped", "has shape"),
    ("no_stats", "no audio statistics"),
    ("short_stats", "bands"),
    ("nan_stats", "not finite"),
    ("zero_std", "std <= 0"),
    ("rate_0", "sample_rate 0"),
    ("rate_1e6", "sample_rate 1000000"),
    ("shape_head_without_config", "unknown tensor shape_head."),
])
def test_edited_generator_checkpoints_are_refused_in_one_line(tmp_path: Path, case: str, message: str) -> None:
    from lipglance.inference.model.lipsync import LipSync

    def nan(t: dict[str, torch.Tensor]) -> None:
        for k, v in t.items():
            if v.is_floating_point():
                t[k] = v * float("nan")

    def inf(t: dict[str, torch.Tensor]) -> None:
        t[_first(t)].view(-1)[3] = float("inf")

    def with_head(t: dict[str, torch.Tensor]) -> None:
        cfg = load_config("tiny")
        head = Generator(dataclasses_replace(cfg.generator, shape_components=4), cfg.audio).state_dict()
        t.update({k: v for k, v in head.items() if k.startswith("shape_head.")})

    stats = AudioStats.identity(128).to_dict()
    kwargs: dict[str, object] = {
        "all_nan": {"edit_tensors": nan}, "one_inf": {"edit_tensors": inf},
        "missing": {"edit_tensors": lambda t: t.pop(_first(t))},
        "extra": {"edit_tensors": lambda t: t.update({"decoder.more": torch.zeros(3)})},
        "reshaped": {"edit_tensors": lambda t: t.update({_first(t): t[_first(t)].reshape(-1)})},
        "no_stats": {"stats": None},
        "short_stats": {"stats": {"mean": stats["mean"][:5], "std": stats["std"][:5]}},
        "nan_stats": {"stats": {"mean": [float("nan")] * 128, "std": stats["std"]}},
        "zero_std": {"stats": {"mean": stats["mean"], "std": [0.0] * 128}},
        "rate_0": {"sample_rate": 0}, "rate_1e6": {"sample_rate": 1000000},
        "shape_head_without_config": {"edit_tensors": with_head},
    }[case]  # type: ignore[assignment]
    path = _resigned(tmp_path, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(CheckpointError, match=message) as e:
        LipSync.from_pretrained(path)
    assert "\n" not in str(e.value)


def dataclasses_replace(obj: object, **kw: object) -> object:
    import dataclasses

    return dataclasses.replace(obj, **kw)  # type: ignore[type-var]


def test_optional_motion_and_shape_head_tensors_are_accepted(tmp_path: Path) -> None:
    """A shape head the config asks for, and a motion probe, are part of a valid generator checkpoint."""
    from lipglance.inference.model.lipsync import DEFAULT_WEIGHTS, LipSync

    path = _resigned(tmp_path, shape_components=4)
    assert LipSync.from_pretrained(path).generator.shape_head is not None
    assert LipSync.from_pretrained(DEFAULT_WEIGHTS).motion is not None  # the bundled model holds motion.*
