"""The Python API takes paths, PIL images and arrays of common dtypes/layouts; bad ones raise one clear UserError."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
import torch
from PIL import Image

from lipglance import LipSync
from lipglance.errors import UserError
from lipglance.inference.model.inputs import as_audio, as_image
from lipglance.io.audio import load_audio
from lipglance.io.image import read_image


def _close(a: np.ndarray, b: np.ndarray, tol: float = 1e-3) -> bool:
    n = min(len(a), len(b))
    return abs(len(a) - len(b)) <= 16 and float(np.abs(a[:n] - b[:n]).max()) < tol


def test_audio_of_every_common_kind_is_the_same_speech(speech: np.ndarray, sample_wav: Path) -> None:
    assert _close(as_audio(sample_wav, 16000), speech)
    assert _close(as_audio(str(sample_wav), 16000), speech)
    i16 = np.round(speech * 32767).astype(np.int16)
    assert _close(as_audio(i16, 16000), speech)  # scaled, not 32767 times too loud
    assert _close(as_audio(i16.astype(np.int32) << 16, 16000), speech)
    assert _close(as_audio(speech.astype(np.float64), 16000), speech)
    assert _close(as_audio(list(speech[:800]), 16000), speech[:800])
    assert _close(as_audio(torch.from_numpy(speech), 16000), speech)
    stereo = np.stack([speech, speech], axis=1)  # [N, 2]
    assert _close(as_audio(stereo, 16000), speech)
    assert _close(as_audio(stereo.T.copy(), 16000), speech)  # [2, N]
    assert _close(as_audio(np.stack([i16, i16], axis=1), 16000), speech)
    at48 = load_audio(sample_wav, 48000)
    back = as_audio(at48, 16000, sample_rate=48000)  # resampled, not read 3x slower
    assert _close(back, speech, tol=0.02)
    assert _close(as_audio(np.round(at48 * 32767).astype(np.int16), 16000, sample_rate=48000), speech, tol=0.02)


@pytest.mark.parametrize("bad, message", [
    (None, "file path or samples"),
    (b"RIFF", "file path or samples"),
    ({"a": 1}, "file path or samples"),
    ("no/such.wav", "no such file"),
    (np.zeros((4, 100, 2), np.float32), "mono samples"),
    (np.zeros((100, 20), np.float32), "C <= 8"),
    (np.array(["a", "b"]), "float32"),
    (np.full(1000, np.nan, np.float32), "NaN"),
    (np.full(1000, 200.0, np.float32), "lie in [-1, 1]"),
    (np.zeros(0, np.float32), "empty"),
])
def test_bad_audio_raises_one_clear_error(bad: object, message: str) -> None:
    with pytest.raises(UserError, match=message.replace("[", r"\[").replace("]", r"\]")) as e:
        as_audio(bad, 16000)
    assert "\n" not in str(e.value)


def test_bad_rate_raises() -> None:
    with pytest.raises(UserError, match="sample_rate"):
        as_audio(np.zeros(1000, np.float32), 16000, sample_rate=10)


def test_images_of_every_common_kind(astronaut_png: Path) -> None:
    rgb = read_image(astronaut_png)
    assert np.array_equal(as_image(astronaut_png), rgb)
    assert np.array_equal(as_image(str(astronaut_png)), rgb)
    assert np.array_equal(as_image(Image.open(astronaut_png)), rgb)
    assert np.array_equal(as_image(rgb.astype(np.float32) / 255), rgb)
    assert np.array_equal(as_image(rgb.astype(np.uint16) * 257), rgb)
    grey = rgb[..., 1]
    assert np.array_equal(as_image(grey), np.repeat(grey[..., None], 3, axis=2))
    assert np.array_equal(as_image(Image.fromarray(grey)), np.repeat(grey[..., None], 3, axis=2))
    rgba = np.concatenate([rgb, np.full(rgb.shape[:2] + (1,), 255, np.uint8)], axis=2)
    rgba[:100, :, 3] = 0  # the top 100 rows transparent: white, not black
    got = as_image(rgba)
    assert (got[:100] == 255).all() and np.array_equal(got[100:], rgb[100:])
    assert np.array_equal(as_image(Image.fromarray(rgba)), got)


@pytest.mark.parametrize("bad, message", [
    (42, "file path, a PIL image or an array"),
    (np.zeros((10, 10, 5), np.uint8), "got shape"),
    (np.zeros((10,), np.uint8), "got shape"),
    (np.full((10, 10, 3), 2.0, np.float32), "lie in \\[0, 1\\]"),
    (np.zeros((10, 10, 3), np.int64), "dtype int64"),
    ("no/such.png", "no such image file"),
])
def test_bad_images_raise_one_clear_error(bad: object, message: str) -> None:
    with pytest.raises(UserError, match=message):
        as_image(bad)


def test_model_takes_paths_pil_stereo_and_other_rates(model: LipSync, sample_wav: Path, astronaut_png: Path,
                                                      speech: np.ndarray, tmp_path: Path) -> None:
    ref = model.generate(speech, read_image(astronaut_png), lips_only=True)
    from_files = model.generate(sample_wav, astronaut_png, lips_only=True)
    assert from_files.shape == ref.shape and np.abs(from_files.astype(int) - ref).max() <= 2
    stereo48 = np.stack([load_audio(sample_wav, 48000)] * 2, axis=1)
    pil = Image.open(astronaut_png).convert("RGBA")
    other = model.generate((stereo48 * 32767).astype(np.int16), pil, lips_only=True, sample_rate=48000)
    assert abs(len(other) - len(ref)) <= 1
    n = min(len(other), len(ref))
    assert np.abs(other[:n].astype(float) - ref[:n]).mean() < 3  # the same motion
    out = tmp_path / "o.mp4"
    LipSync.save(out, list(from_files), sample_wav)
    with av.open(str(out)) as c:
        assert c.streams.video[0].frames == len(from_files) and c.streams.audio[0].codec_context.channels == 1


def test_device_repr_and_docstring() -> None:
    with pytest.raises(UserError, match="give 'cpu' or 'cuda'"):
        LipSync.from_pretrained(device="gpu")
    if not torch.cuda.is_available():
        with pytest.raises(UserError, match="no CUDA GPU"):
            LipSync.from_pretrained(device="cuda")
    model = LipSync.from_pretrained()
    text = repr(model)
    assert text.startswith("LipSync(") and "M parameters" in text and len(text) < 120 and "\n" not in text
    assert "UNTRAINED" in repr(LipSync.untrained())
    doc = LipSync.__doc__ or ""
    assert "from_pretrained" in doc and "sample_rate" in doc and "PIL" in doc


def test_readme_example_runs_on_files(tmp_path: Path, sample_wav: Path, astronaut_png: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    code = readme.split("## Use", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    assert '"speech.wav"' in code and '"face.jpg"' in code
    (tmp_path / "speech.wav").write_bytes(sample_wav.read_bytes())
    (tmp_path / "face.jpg").write_bytes(astronaut_png.read_bytes())  # a PNG named .jpg: read by content
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})  # noqa: S102
    with av.open(str(tmp_path / "out.mp4")) as c:
        assert c.streams.video[0].codec_context.width == 512 and c.streams.audio
