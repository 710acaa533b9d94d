"""Export a glance model to ONNX: every network its inference paths call, for onnxruntime
(lipglance.inference.onnx.backend).

`lipglance export --onnx out.onnx [--weights W]` (or `export_onnx`) writes three (or four) files side by side:

    out.onnx        the generator G: mel [B, 1, 4T, n_mels] (normalised log-mel windows) and identity
                    [B, 3, H, W] (in [-1, 1]) -> video [B, 3, T, H, W] in [-1, 1]  (the lips and warp renderers)
    out.shape.onnx  the shape head with the audio encoder it reads: mel [B, 1, 4T, n_mels] -> shapes
                    [B, T, 20, 2] before the closure gate, gate logit [B, T]  (the shape renderer; only for a
                    model with a shape head; logit 0 without a gate)
    out.seal.onnx   the seal track (`lipglance seal`; only for a model that holds a fitted one): raw log-mel chunks
                    [B, 4F, n_mels] -> seal logits [B, F]; likewise out.round.onnx (the round track: calibrated
                    widths) and out.tongue.onnx (the tongue track: logits of the raised tip)
    out.json        the sidecar: format version, the model's config, its audio statistics, the shape head's gate
                    (gated, threshold, closed shape), the tracks' (frames, threshold or rest points), the motion probe's
                    numbers (a ridge regression that runs in NumPy, not a network) and the SHA-256 of each .onnx
                    file

The batch axis B is dynamic. Graphs come from torch.onnx's dynamo exporter (it needs `onnxscript`), opset 18,
weights inside each file. Each graph is checked against PyTorch on random input before the files are
committed; all are written whole or not at all.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from lipglance.inference.model.lipsync import LipSync
from lipglance.io.outputs import OutputFile, shown
from lipglance.nn.seal import RoundTrack

FORMAT = 1
OPSET = 18
TOLERANCE = 1e-3  # largest difference from PyTorch an exported graph may show on its check input


def sidecar_paths(onnx: Path) -> tuple[Path, Path]:
    """(the shape head's graph, the JSON sidecar) that go with the generator's `out.onnx`."""
    return onnx.with_name(onnx.stem + ".shape.onnx"), onnx.with_suffix(".json")


def track_path(onnx: Path) -> Path:
    """The seal track's graph that goes with the generator's `out.onnx`."""
    return onnx.with_name(onnx.stem + ".seal.onnx")


def tongue_path(onnx: Path) -> Path:
    """The tongue track's graph that goes with the generator's `out.onnx`."""
    return onnx.with_name(onnx.stem + ".tongue.onnx")


def round_path(onnx: Path) -> Path:
    """The round track's graph that goes with the generator's `out.onnx`."""
    return onnx.with_name(onnx.stem + ".round.onnx")


class RoundWidths(nn.Module):
    """The round track as inference calls it: raw log-mel chunks -> calibrated widths (1 = rest)."""

    def __init__(self, track: RoundTrack) -> None:
        super().__init__()
        self.track = track

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        return self.track.widths(self.track(mel))


class ShapeParts(nn.Module):
    """The shape head as the shape renderer calls it: mel -> (shapes before the gate, gate logit or zeros)."""

    def __init__(self, model: LipSync) -> None:
        super().__init__()
        head = model.generator.shape_head
        assert head is not None
        self.head, self.encoder = head, model.generator.audio_encoder

    def forward(self, mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        shapes, logit = self.head.parts(mel, self.encoder(mel) if self.head.needs_shared() else None)
        return shapes, (shapes[..., 0, 0] * 0 if logit is None else logit)


def export_onnx(out: str | Path, weights: str | Path | None = None) -> list[Path]:
    """Export the model at `weights` (default: the bundled one) to `out` (.onnx) and its sidecars; returns
    the paths written. One-line UserError (or CheckpointError) for a bad path or checkpoint."""
    out = Path(out)
    model = LipSync.from_pretrained(weights)
    shape_path, json_path = sidecar_paths(out)
    files = [OutputFile(out, ".onnx", "the ONNX model")]
    try:
        files.append(OutputFile(json_path, ".json", "the ONNX sidecar"))
        if model.generator.shape_head is not None:
            files.append(OutputFile(shape_path, ".onnx", "the ONNX shape head"))
        digests = {out.name: _export(model.generator, _examples(model, True), ["mel", "identity"], ["video"],
                                     files[0].temp())}
        if len(files) == 3:
            digests[shape_path.name] = _export(ShapeParts(model), _examples(model, False), ["mel"],
                                               ["shapes", "logit"], files[2].temp())
        head = model.generator.shape_head
        tracks = () if head is None else (  # (name, frames, the graph's network, its path, its output's name)
            ("seal", model.track_frames(), head.track, track_path(out), "logit"),
            ("round", model.round_frames(), head.round and RoundWidths(head.round), round_path(out), "width"),
            ("tongue", model.tongue_frames(), head.tongue, tongue_path(out), "logit"))
        for name, frames, net, path, output in tracks:
            if not frames or net is None:
                continue
            files.append(OutputFile(path, ".onnx", f"the ONNX {name} track"))
            mel = torch.randn(3, frames * model.config.audio.mels_per_frame, model.config.audio.n_mels,
                              generator=torch.Generator().manual_seed(0))
            digests[path.name] = _export(net, (mel,), ["mel"], [output], files[-1].temp())
        files[1].temp().write_text(json.dumps(sidecar(model, out.name, digests), indent=1))
        for f in files:
            f.commit()
    except BaseException:
        for f in files:
            f.undo()
        raise
    return [f.path for f in files]


def _examples(model: LipSync, identity: bool) -> tuple[torch.Tensor, ...]:
    g, a = model.config.generator, model.config.audio
    gen = torch.Generator().manual_seed(0)
    mel = torch.randn(3, 1, g.frames * a.mels_per_frame, a.n_mels, generator=gen)
    if not identity:
        return (mel,)
    return mel, torch.rand(3, 3, g.image_size, g.image_size, generator=gen) * 2 - 1


def _export(net: nn.Module, inputs: tuple[torch.Tensor, ...], names: list[str], outputs: list[str],
            path: Path) -> str:
    """Export `net` (eval mode) with a dynamic batch axis, check it in onnxruntime against PyTorch, and return
    the file's SHA-256."""
    import onnxruntime as ort

    net = net.eval()
    batch = torch.export.Dim("batch", min=1)
    quiet = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet), \
            _quiet_logs(), torch.no_grad():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(net, inputs, dynamo=True, input_names=names, output_names=outputs,
                                    dynamic_shapes=tuple({0: batch} for _ in inputs), opset_version=OPSET,
                                    external_data=False, verbose=False)
        assert program is not None
        program.save(str(path), external_data=False)
        expected = net(*inputs)
    expected = expected if isinstance(expected, tuple) else (expected,)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for k in (len(inputs[0]), 1):  # the example's batch and another one: the batch axis is really dynamic
        got = session.run(None, {n: x[:k].numpy() for n, x in zip(names, inputs, strict=True)})
        for name, e, g in zip(outputs, expected, got, strict=True):
            diff = float(np.abs(e[:k].numpy() - g).max())
            if not diff <= TOLERANCE:
                raise RuntimeError(f"ONNX export of {name}: differs from PyTorch by {diff:.2g} (batch {k})")
    return hashlib.sha256(path.read_bytes()).hexdigest()


@contextlib.contextmanager
def _quiet_logs() -> Any:
    """torch.onnx logs progress and optional-package notes (torchvision) on its loggers: hide them."""
    log = logging.getLogger("torch.onnx")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)


def sidecar(model: LipSync, name: str, digests: dict[str, str]) -> dict[str, Any]:
    """What the ONNX backend needs beyond the graphs (see the module docstring)."""
    head = model.generator.shape_head
    data: dict[str, Any] = {
        "format": FORMAT, "generator": name, "sha256": digests, "config": json.loads(model.config.to_json()),
        "audio_stats": model.audio_stats.to_dict(), "shape_head": None, "motion": None,
    }
    if head is not None:
        data["shape_head"] = {"file": Path(name).stem + ".shape.onnx", "gated": bool(head.gated),
                              "gate_threshold": float(head.gate_threshold),
                              "closed_shape": head.closed_shape.reshape(20, 2).tolist()}
    if model.track_frames() and head is not None and head.track is not None:
        data["seal_track"] = {"file": Path(name).stem + ".seal.onnx", "frames": model.track_frames(),
                              "threshold": float(head.track.threshold)}
    if model.round_frames() and head is not None and head.round is not None:
        data["round_track"] = {"file": Path(name).stem + ".round.onnx", "frames": model.round_frames(),
                               "rest_x": model.round_rest().tolist()}
    if model.tongue_frames() and head is not None and head.tongue is not None:
        data["tongue_track"] = {"file": Path(name).stem + ".tongue.onnx", "frames": model.tongue_frames(),
                                "threshold": model.tongue_threshold()}
    m = model.motion
    if m is not None:
        data["motion"] = {"weights": m.probe.weights.tolist(), "bias": m.probe.bias, "proxy": m.proxy.tolist(),
                          "width": m.width, "gain": m.gain}
    return data


def describe(paths: list[Path]) -> str:
    """One line naming what was written."""
    return "wrote " + ", ".join(f"{shown(p)} ({p.stat().st_size / 1e6:.1f} MB)" for p in paths)

