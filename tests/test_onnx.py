"""ONNX export and the onnxruntime backend: the files load in onnxruntime with a dynamic batch, and the backend's
float network outputs (within 1e-3) and uint8 frames match PyTorch's on real speech and the astronaut photo for
every renderer; bad paths give one line and exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

import lipglance
from lipglance.audio import AudioStats, log_mel
from lipglance.checkpoint import save_checkpoint
from lipglance.cli import main
from lipglance.config import load_config
from lipglance.errors import UserError
from lipglance.inference.model.lipsync import LipSync, image_tensor
from lipglance.inference.onnx.backend import OnnxLipSync
from lipglance.inference.onnx.export import export_onnx
from lipglance.io.image import read_image
from lipglance.nn import Generator

TOL = 1e-3


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled model exported once through the command line."""
    out = tmp_path_factory.mktemp("onnx") / "model.onnx"
    assert main(["export", "--onnx", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def onnx_model(exported: Path) -> OnnxLipSync:
    m = lipglance.onnx_model(exported, threads=2)
    assert isinstance(m, OnnxLipSync)
    return m


@pytest.fixture(scope="module")
def photo(astronaut_png: Path) -> np.ndarray:
    return read_image(str(astronaut_png))


def test_export_writes_graphs_onnxruntime_loads_with_a_dynamic_batch(exported: Path) -> None:
    shape, side = exported.with_name("model.shape.onnx"), exported.with_suffix(".json")
    bundled = LipSync.from_pretrained()
    track = ["model.seal.onnx"] if bundled.track_frames() else []  # a bundled seal track
    track += ["model.tongue.onnx"] if bundled.tongue_frames() else []  # and tongue track
    assert sorted(p.name for p in exported.parent.iterdir()) == sorted(
        ["model.json", "model.onnx", "model.shape.onnx", *track])
    meta = json.loads(side.read_text())
    assert meta["shape_head"]["file"] == shape.name and meta["motion"] is not None and set(meta["sha256"]) == {
        "model.onnx", "model.shape.onnx", *track}
    if bundled.tongue_frames():
        assert meta["tongue_track"]["threshold"] == bundled.tongue_threshold()
    for path, inputs in ((exported, ["mel", "identity"]), (shape, ["mel"])):
        onnx.checker.check_model(onnx.load(str(path)))
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        assert [i.name for i in session.get_inputs()] == inputs
        assert all(isinstance(i.shape[0], str) for i in session.get_inputs())  # a named, dynamic batch axis
        for batch in (1, 5):
            feed = {i.name: np.zeros((batch, *i.shape[1:]), np.float32) for i in session.get_inputs()}
            outs = session.run(None, feed)
            assert all(o.shape[0] == batch for o in outs)


def _windows(model: LipSync, speech: np.ndarray) -> torch.Tensor:
    """Normalised log-mel windows [B, 1, 64, n_mels] of the real speech, as inference feeds them."""
    mel = model.audio_stats.normalize(log_mel(model.heard(speech), model.config.audio))
    return torch.stack([mel[i:i + 64] for i in range(0, len(mel) - 64, 32)])[:, None]


def test_network_outputs_match_pytorch(model: LipSync, onnx_model: OnnxLipSync, speech: np.ndarray,
                                       photo: np.ndarray) -> None:
    mel = _windows(model, speech)
    ident, _ = model.prepare(photo)
    with torch.no_grad():
        want = model.generator(mel, image_tensor(ident).expand(len(mel), -1, -1, -1)).numpy()
    got = onnx_model.onnx.graph(mel.numpy(), np.repeat(image_tensor(ident).numpy(), len(mel), 0))[0]
    assert got.shape == want.shape and np.abs(got - want).max() < TOL
    assert np.abs(want[:, :, 1:] - want[:, :, :-1]).max() > 0.05  # the lips do move: the check is not vacuous
    raw = log_mel(model.heard(speech[:16000 * 2]), model.config.audio).numpy()
    for name in ("shapes_of_mel", "gate_logits_of_mel"):
        want, got = getattr(model, name)(raw), getattr(onnx_model, name)(raw)
        assert got.shape == want.shape and np.abs(got - want).max() < TOL, name
    logits = model.gate_logits_of_mel(raw)
    assert (logits > float(model.generator.shape_head.gate_threshold)).any()  # type: ignore[union-attr]
    want, got = model.openings_of_mel(raw), onnx_model.openings_of_mel(raw)
    assert want.max() > 0 and np.abs(got - want).max() < TOL


@pytest.mark.parametrize("renderer", ["shape", "warp", "network"])
def test_frames_match_pytorch_for_each_renderer(model: LipSync, onnx_model: OnnxLipSync, speech: np.ndarray,
                                                photo: np.ndarray, renderer: str) -> None:
    clip = speech[:16000 * 2]
    want = model.generate(clip, photo, renderer=renderer)
    got = onnx_model.generate(clip, photo, renderer=renderer)
    assert got.shape == want.shape == (50, 512, 512, 3) and got.dtype == np.uint8
    diff = np.abs(got.astype(np.int16) - want)
    assert diff.max() <= 1 and (diff > 0).mean() < 1e-4, (renderer, diff.max(), (diff > 0).mean())
    assert np.abs(want[1:].astype(np.int16) - want[:-1]).max() > 20  # the mouth moves


def test_live_stream_runs_on_the_onnx_backend(model: LipSync, onnx_model: OnnxLipSync, speech: np.ndarray) -> None:
    from lipglance.inference.live.stream import LiveShapes

    def live(m: LipSync) -> np.ndarray:
        stream = LiveShapes(m)
        chunks = [stream.push(speech[i:i + 1000]) for i in range(0, 16000 * 2, 1000)]
        return np.stack([s for c in chunks for s in c] + stream.flush())

    torch_shapes, onnx_shapes = live(model), live(onnx_model)
    assert torch_shapes.shape == onnx_shapes.shape == (50, 20, 2)
    assert np.abs(torch_shapes - onnx_shapes).max() < TOL


def test_cli_generates_with_the_onnx_backend(exported: Path, sample_wav: Path, astronaut_png: Path,
                                             tmp_path: Path) -> None:
    out = tmp_path / "o.mp4"
    assert main(["generate", "--backend", "onnx", "--weights", str(exported), "--audio", str(sample_wav),
                 "--image", str(astronaut_png), "-o", str(out), "--still"]) == 0
    assert out.stat().st_size > 10_000


def test_another_checkpoint_exports_without_shape_head_or_probe(tmp_path: Path) -> None:
    cfg = load_config("tiny")
    torch.manual_seed(3)
    gen = Generator(cfg.generator, cfg.audio).eval()
    ckpt = save_checkpoint(tmp_path / "g.safetensors", gen.state_dict(), cfg, "generator",
                           {"audio_stats": AudioStats.identity(cfg.audio.n_mels).to_dict()})
    paths = export_onnx(tmp_path / "tiny.onnx", ckpt)
    assert [p.name for p in paths] == ["tiny.onnx", "tiny.json"]
    pt, ox = LipSync.from_pretrained(ckpt), lipglance.onnx_model(tmp_path / "tiny.onnx")
    lips = (np.random.default_rng(0).random((64, 64, 3)) * 255).astype(np.uint8)
    audio = np.random.default_rng(1).standard_normal(16000).astype(np.float32) * 0.1
    want, got = np.stack(list(pt.stream_lips(audio, lips))), np.stack(list(ox.stream_lips(audio, lips)))
    assert np.abs(got.astype(np.int16) - want).max() <= 1
    with pytest.raises(UserError, match="no shape head"):
        ox.renderer(lips, "shape")


def _one_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0], err
    return err[0]


def test_bad_paths_give_one_line_and_exit_2(exported: Path, sample_wav: Path, astronaut_png: Path,
                                            tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--onnx", str(tmp_path / "m.txt")]) == 2
    assert ".onnx" in _one_error(capsys)
    assert main(["export", "--onnx", str(tmp_path / "m.onnx"), "--weights", str(tmp_path / "no.safetensors")]) == 2
    assert "does not exist" in _one_error(capsys) and not list(tmp_path.iterdir())
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "model.json").write_bytes(exported.with_suffix(".json").read_bytes())
    (broken / "model.onnx").write_bytes(b"not a graph")
    (broken / "model.shape.onnx").write_bytes(exported.with_name("model.shape.onnx").read_bytes())
    out = tmp_path / "o.mp4"
    for weights, says in ((tmp_path / "none.onnx", "no such file"), (broken / "model.onnx", "export again")):
        code = main(["generate", "--backend", "onnx", "--weights", str(weights), "--audio", str(sample_wav),
                     "--image", str(astronaut_png), "-o", str(out)])
        assert code == 2 and says in _one_error(capsys) and not out.exists()
    (broken / "model.json").write_text("{}")
    with pytest.raises(UserError, match="not a sidecar"):
        lipglance.onnx_model(broken / "model.onnx")
    assert main(["generate", "--weights", str(exported), "--audio", str(sample_wav), "--image",
                 str(astronaut_png), "-o", str(out)]) == 2
    assert "--backend onnx" in _one_error(capsys)


def test_a_checkpoint_is_exported_once_into_the_users_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lipglance.inference.onnx import cache
    from lipglance.inference.onnx.backend import onnx_model

    cfg = load_config("tiny")
    ckpts = []
    for seed in (3, 4):
        torch.manual_seed(seed)
        gen = Generator(cfg.generator, cfg.audio).eval()
        ckpts.append(save_checkpoint(tmp_path / f"g{seed}.safetensors", gen.state_dict(), cfg, "generator",
                                     {"audio_stats": AudioStats.identity(cfg.audio.n_mels).to_dict()}))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = tmp_path / "cache" / "lipglance" / "onnx"
    lips = (np.random.default_rng(0).random((64, 64, 3)) * 255).astype(np.uint8)
    audio = np.random.default_rng(1).standard_normal(16000).astype(np.float32) * 0.1
    first = np.stack(list(onnx_model(ckpts[0]).stream_lips(audio, lips)))
    entries = [p for p in root.iterdir() if not p.name.startswith(".")]
    assert len(entries) == 1 and sorted(p.name for p in entries[0].iterdir()) == ["model.json", "model.onnx"]
    assert entries[0].name == cache.model_key(ckpts[0]) and not [p for p in root.iterdir() if p.name[0] == "."]

    def no_export(*args: object) -> None:
        raise AssertionError("exported again")

    with monkeypatch.context() as m:
        m.setattr(cache, "export_onnx", no_export)
        again = onnx_model(ckpts[0])  # from the cache: no export
        assert np.array_equal(np.stack(list(again.stream_lips(audio, lips))), first)
        with pytest.raises(AssertionError, match="exported again"):
            onnx_model(ckpts[1])  # other weights: another key
    onnx_model(ckpts[1])
    assert len([p for p in root.iterdir() if not p.name.startswith(".")]) == 2
    (entries[0] / "model.onnx").write_bytes(b"damaged")  # a damaged entry is exported again
    fixed = onnx_model(ckpts[0])
    assert np.array_equal(np.stack(list(fixed.stream_lips(audio, lips))), first)
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))  # a cache that cannot be made: a temporary export
    assert onnx_model(ckpts[0]).onnx.graph is not None
