"""The onnxruntime backend: a `LipSync` whose network calls run the graphs `lipglance export --onnx` wrote.

    model = lipglance.onnx_model("out.onnx")              # out.onnx, out.shape.onnx (+ .seal/.round/.tongue), .json
    model = lipglance.onnx_model()                        # the bundled model or a checkpoint, exported once
    lipglance generate --backend onnx --weights out.onnx ...  # or a .safetensors checkpoint, exported once

Only the networks change: `OnnxLipSync` overrides the network calls of `LipSync` (`generated`,
`head_parts`, `shape_gate`, the seal track's `track_frames`, `track_shift`, `track_logits`, and the round track's
`round_frames`, `round_rest`, `round_widths`), so the generator (lips and warp renderers), the shape head (shape
renderer, dubbing, live) and the seal and round tracks run in onnxruntime on NumPy arrays; the log-mel front end,
the windows and their cross-fade, the motion probe (NumPy) and the renderers are the PyTorch backend's own code, so
that the frames match it. torch is still imported (lipglance.inference.model.lipsync and the log-mel front end use
it) but does no network work. `threads` sets onnxruntime's intra-op threads (default: $OMP_NUM_THREADS, else
onnxruntime's own choice, one per core).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch

from lipglance.audio import AudioStats
from lipglance.config import ConfigError, config_from_dict
from lipglance.errors import UserError
from lipglance.inference.model.lipsync import LipSync
from lipglance.inference.model.windows import packed
from lipglance.inference.onnx.export import FORMAT, export_onnx, round_path, sidecar_paths, tongue_path, track_path
from lipglance.io.outputs import shown
from lipglance.motion import MotionProbe, OpeningProbe
from lipglance.nn import Generator
from lipglance.pixels import SCALE, to_unit


def _runtime() -> Any:
    try:
        import onnxruntime
    except ModuleNotFoundError:
        raise UserError("the ONNX backend needs onnxruntime: run `pip install \"lipglance[onnx]\"` "
                        "(in a checkout: `make setup`)") from None
    return onnxruntime


class OnnxGraph:
    """One exported graph in an onnxruntime CPU session: named float32 arrays in, arrays out."""

    def __init__(self, path: Path, threads: int | None) -> None:
        ort = _runtime()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or 0
        opts.inter_op_num_threads = 1
        # no busy-waiting between calls: the frame-making and encoding threads need those cores
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        except Exception as e:  # onnxruntime raises its own exception types for unreadable files
            raise UserError(f"{shown(path)}: not an ONNX graph onnxruntime can load "
                            f"({str(e).splitlines()[0][:200]})") from None
        self.inputs = [i.name for i in self.session.get_inputs()]

    def __call__(self, *arrays: np.ndarray) -> list[np.ndarray]:
        feed = {n: np.ascontiguousarray(a, np.float32) for n, a in zip(self.inputs, arrays, strict=True)}
        return cast(list[np.ndarray], self.session.run(None, feed))


@dataclass
class OnnxShapeHead:
    """The shape head's graph with its gate: what the shape renderer needs of `Generator.shape_head`."""

    graph: OnnxGraph
    gated: bool
    gate_threshold: float
    closed_shape: np.ndarray  # [20, 2]


@dataclass
class OnnxNetworks:
    """Stands in for `LipSync.generator`: the generator's graph, and the shape head's (or None)."""

    graph: OnnxGraph
    shape_head: OnnxShapeHead | None
    files: list[Path]
    track: tuple[OnnxGraph, int, float] | None = None  # the seal track's graph, chunk frames, threshold
    round: tuple[OnnxGraph, int, np.ndarray] | None = None  # the round track's graph, chunk frames, rest_x [20]
    tongue: tuple[OnnxGraph, int, float] | None = None  # the tongue track's graph, chunk frames, threshold


@dataclass(repr=False)
class OnnxLipSync(LipSync):
    """`LipSync` with its networks in onnxruntime (see the module docstring)."""

    @property
    def onnx(self) -> OnnxNetworks:
        return cast(OnnxNetworks, self.generator)

    def __repr__(self) -> str:
        photo = "shape" if self.onnx.shape_head is not None else "warp" if self.motion is not None else "network"
        return f"LipSync({self.config.name!r}, onnxruntime: {shown(self.onnx.files[0])}, photos: {photo})"

    def generated(self, mels: torch.Tensor, identity: np.ndarray) -> np.ndarray:
        ident = to_unit(identity).transpose(2, 0, 1)[None]
        return (self.onnx.graph(mels.numpy(), np.repeat(ident, len(mels), 0))[0].transpose(0, 2, 3, 4, 1) + 1) * SCALE

    def head_parts(self, mels: torch.Tensor) -> np.ndarray:
        head = self.onnx.shape_head
        assert head is not None
        return packed(*head.graph(mels.numpy()))

    def track_frames(self) -> int:
        return self.onnx.track[1] if self.onnx.track is not None and self.track else 0

    def track_shift(self) -> float:
        head, track = self.onnx.shape_head, self.onnx.track
        assert head is not None and track is not None
        return head.gate_threshold - track[2]

    def track_logits(self, mels: torch.Tensor) -> np.ndarray:
        assert self.onnx.track is not None
        return self.onnx.track[0](mels.numpy())[0]

    def round_frames(self) -> int:
        return self.onnx.round[1] if self.onnx.round is not None and self.track else 0

    def round_rest(self) -> np.ndarray:
        assert self.onnx.round is not None
        return self.onnx.round[2]

    def round_widths(self, mels: torch.Tensor) -> np.ndarray:
        assert self.onnx.round is not None
        return self.onnx.round[0](mels.numpy())[0]

    def tongue_frames(self) -> int:
        return self.onnx.tongue[1] if self.onnx.tongue is not None and self.track else 0

    def tongue_threshold(self) -> float:
        assert self.onnx.tongue is not None
        return self.onnx.tongue[2]

    def tongue_logits(self, mels: torch.Tensor) -> np.ndarray:
        assert self.onnx.tongue is not None
        return self.onnx.tongue[0](mels.numpy())[0]

    def shape_gate(self) -> tuple[bool, float, np.ndarray] | None:
        head = self.onnx.shape_head
        return None if head is None else (head.gated, head.gate_threshold, head.closed_shape)


def load_onnx(path: str | Path, threads: int | None = None) -> OnnxLipSync:
    """The model `lipglance export --onnx path` wrote; one-line UserError for a missing or mismatched file."""
    path = Path(path)
    shape_path, json_path = sidecar_paths(path)
    for p in (path, json_path):
        if not p.is_file():
            raise UserError(f"{shown(p)}: no such file (write the model with `lipglance export --onnx {shown(path)}`)")
    try:
        side = json.loads(json_path.read_text())
        if side.get("format") != FORMAT:
            raise ValueError(f"format {side.get('format')!r}, this glance reads {FORMAT}")
        config = config_from_dict(side["config"])
        stats = AudioStats.from_dict(side["audio_stats"])
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError, ConfigError) as e:
        raise UserError(f"{shown(json_path)}: not a sidecar `lipglance export --onnx` wrote ({e})") from None
    head_info, track_info, round_info = side.get("shape_head"), side.get("seal_track"), side.get("round_track")
    tongue_info = side.get("tongue_track")
    files = ([path] + ([shape_path] if head_info else []) + ([track_path(path)] if track_info else [])
             + ([round_path(path)] if round_info else []) + ([tongue_path(path)] if tongue_info else []))
    for f in files:
        want = (side.get("sha256") or {}).get(f.name)
        if not f.is_file() or hashlib.sha256(f.read_bytes()).hexdigest() != want:
            raise UserError(f"{shown(f)}: missing, or not the file {shown(json_path)} was written with: export again")
    threads = threads if threads is not None else int(os.environ.get("OMP_NUM_THREADS", "0") or 0)
    head = None
    if head_info:
        head = OnnxShapeHead(OnnxGraph(shape_path, threads), bool(head_info["gated"]),
                             float(head_info["gate_threshold"]), np.asarray(head_info["closed_shape"], np.float32))
    track = None if not track_info else (OnnxGraph(track_path(path), threads), int(track_info["frames"]),
                                         float(track_info["threshold"]))
    rnd = None if not round_info else (OnnxGraph(round_path(path), threads), int(round_info["frames"]),
                                       np.asarray(round_info["rest_x"], np.float32))
    tongue = None if not tongue_info else (OnnxGraph(tongue_path(path), threads), int(tongue_info["frames"]),
                                           float(tongue_info["threshold"]))
    nets = OnnxNetworks(OnnxGraph(path, threads), head, files, track, rnd, tongue)
    m = side.get("motion")
    motion = None if m is None else MotionProbe(
        OpeningProbe(np.asarray(m["weights"], np.float64), float(m["bias"])),
        np.asarray(m["proxy"], np.uint8), float(m["width"]), float(m["gain"]))
    return OnnxLipSync(cast(Generator, nets), config, stats, True, "cpu", motion)


def onnx_model(weights: str | Path | None = None, threads: int | None = None) -> OnnxLipSync:
    """The ONNX backend for `weights`: an exported .onnx as it is; a checkpoint (default: the bundled model)
    exported once into the user's cache (lipglance.inference.onnx.cache) and loaded from there after, or into a
    temporary folder when the cache cannot be written."""
    from lipglance.inference.model.lipsync import DEFAULT_WEIGHTS
    from lipglance.inference.onnx.cache import cached_export, forget

    if weights is not None and Path(weights).suffix.lower() == ".onnx":
        return load_onnx(weights, threads)
    checkpoint = Path(weights) if weights is not None else DEFAULT_WEIGHTS
    if checkpoint.is_file():
        try:
            cached = cached_export(checkpoint, weights)
        except OSError:
            pass  # an unwritable cache: export into a temporary folder, as below
        else:
            try:
                return load_onnx(cached, threads)
            except UserError:  # a damaged entry (a file removed or changed): export it again
                forget(cached)
                return load_onnx(cached_export(checkpoint, weights), threads)
    with tempfile.TemporaryDirectory(prefix="lipglance-onnx.") as d:
        export_onnx(Path(d) / "model.onnx", weights)
        model = load_onnx(Path(d) / "model.onnx", threads)
    return model
