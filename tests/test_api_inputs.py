"""The Python API takes paths, PIL images and arrays of common dtypes/layouts; bad ones raise one clear UserError."""

from __future__ import annotations

import inspect
import os
import re
from collections.abc import Iterator
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
    (np.array(["a", "b"]), "give int16, int32, uint8 or float samples"),
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


def test_options_after_the_image_are_keywords_only() -> None:
    for name, first in (("generate", "image"), ("stream", "image"), ("stream_pairs", "image")):
        params = list(inspect.signature(getattr(LipSync, name)).parameters.values())
        after = params[[p.name for p in params].index(first) + 1:]
        assert after and all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in after), (name, after)
    model = LipSync.untrained("tiny")
    with pytest.raises(TypeError, match="positional"):
        model.generate(np.zeros(4000, np.float32), np.full((64, 64, 3), 120, np.uint8), 1)  # type: ignore[misc]


@pytest.mark.parametrize("kwargs, message", [
    ({"face_index": 3}, "face_index=3 asked, but the image has 1 face(s)"),
    ({"face_index": -1}, "face_index=-1: give a whole number >= 0"),
    ({"face_index": "1"}, "face_index='1': give a whole number"),
    ({"face_index": True}, "face_index=True: give a whole number"),
    ({"box": (400, 400, 300, 300)}, "cannot use the face box: box=(400, 400, 300, 300) reaches outside the 512x512"),
    ({"box": (0, 0, 120, 120)}, "box=(0, 0, 120, 120) holds no face glance can use"),
    ({"box": (1, 2, 3)}, "box=(1, 2, 3): give the face's box as (x, y, w, h)"),
    ({"box": "179,83,87,87"}, "box='179,83,87,87': give the face's box as (x, y, w, h)"),
    ({"box": (10, 10, 0, 50)}, "box=(10, 10, 0, 50): x and y must be >= 0, w and h > 0"),
    ({"box": (179, 83, 87, 87), "face_index": 1}, "face_index= and box= both pick the face"),
    ({"seed": -2}, "seed=-2: give a whole number"),
    ({"renderer": "warp", "transcript": "hello"}, "use renderer='shape'"),
])
def test_api_errors_speak_the_apis_terms(model: LipSync, astronaut_png: Path, kwargs: dict[str, object],
                                         message: str) -> None:
    with pytest.raises(UserError) as e:
        model.generate(np.zeros(4000, np.float32), astronaut_png, **kwargs)  # type: ignore[arg-type]
    text = str(e.value)
    assert message in text and "\n" not in text and not re.search(r"--[a-z]", text), text


def test_range_and_dtype_messages_read_plainly() -> None:
    with pytest.raises(UserError) as e:
        as_image(np.full((10, 10, 3), 255.0, np.float32))
    assert "spans 255 to 255" in str(e.value) and "pass them as uint8" in str(e.value)
    with pytest.raises(UserError) as e:
        as_audio(np.full(8000, 32767.0, np.float32), 16000)
    assert "peaks at 32,767" in str(e.value) and "pass them as int16" in str(e.value)
    assert not re.search(r"\de[+-]\d", str(e.value))  # no exponent
    with pytest.raises(UserError, match="dtype int64: give int16, int32, uint8 or float"):
        as_audio(np.zeros(8000, np.int64), 16000)
    with pytest.raises(UserError, match="dtype int32: give uint8, uint16, bool or float"):
        as_image(np.zeros((10, 10, 3), np.int32))


def test_the_dtypes_the_readme_names_are_the_ones_taken(speech: np.ndarray) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    api = " ".join(readme.split("## Use", 1)[1].split("```python", 1)[1].split("```", 2)[1].split())
    assert "`audio` may be a path or samples: int16, int32, uint8 or float in [-1, 1]" in api, api
    assert "uint8, uint16, bool or float in [0, 1]" in api, api
    wave = speech[:8000]
    for audio in (np.round(wave * 32767).astype(np.int16), (np.round(wave * 32767).astype(np.int32) << 16),
                  np.round(wave * 127 + 128).astype(np.uint8), wave, wave.astype(np.float64)):
        assert _close(as_audio(audio, 16000), wave, tol=0.01), audio.dtype
    grey = np.linspace(0, 1, 100, dtype=np.float32).reshape(10, 10)
    for image in ((grey * 255).round().astype(np.uint8), (grey * 65535).round().astype(np.uint16), grey > 0.5,
                  grey, grey.astype(np.float64)):
        assert as_image(image).shape == (10, 10, 3), image.dtype


def test_save_creates_its_folder_keeps_its_format_and_may_be_silent(tmp_path: Path, sample_wav: Path) -> None:
    frames = [np.full((64, 64, 3), v, np.uint8) for v in range(0, 250, 10)]
    deep = tmp_path / "new" / "folder" / "o.mp4"
    assert LipSync.save(deep, frames, sample_wav) == len(frames)
    with av.open(str(deep)) as c:
        assert len(c.streams.audio) == 1 and c.streams.video[0].frames == len(frames)
    silent = tmp_path / "silent.mp4"
    LipSync.save(silent, frames)
    with av.open(str(silent)) as c:
        assert not c.streams.audio and sum(1 for _ in c.decode(video=0)) == len(frames)
    mov = tmp_path / "o.mov"
    LipSync.save(mov, frames, np.zeros(16000, np.float32))
    with av.open(str(mov)) as c:
        assert "mov" in c.format.name and c.streams.video[0].codec_context.name == "h264"
    for name in ("o.avi", "o.mkv", "o"):
        with pytest.raises(UserError, match="writes H.264 video with AAC sound as .mp4, .m4v or .mov") as e:
            LipSync.save(tmp_path / "other" / name, frames, sample_wav)
        assert "\n" not in str(e.value)
    assert not (tmp_path / "other").exists()
    with pytest.raises(UserError, match="no frames"):
        LipSync.save(tmp_path / "none" / "o.mp4", [], sample_wav)
    assert not (tmp_path / "none").exists()


def test_save_over_an_existing_video_keeps_it_whole_until_the_new_one_is_complete(tmp_path: Path) -> None:
    frames = [np.full((64, 64, 3), v, np.uint8) for v in range(0, 250, 10)]
    out = tmp_path / "o.mp4"
    LipSync.save(out, frames)
    before = out.read_bytes()

    def failing() -> Iterator[np.ndarray]:
        yield from frames[:5]
        raise RuntimeError("the frames stopped")

    with pytest.raises(RuntimeError, match="stopped"):
        LipSync.save(out, failing())
    assert out.read_bytes() == before  # the old video, not a half-written new one
    assert [p.name for p in tmp_path.iterdir()] == ["o.mp4"]  # no temporary file left beside it
    with av.open(str(out)) as c:
        assert sum(1 for _ in c.decode(video=0)) == len(frames)
    assert LipSync.save(out, frames[:7]) == 7
    with av.open(str(out)) as c:
        assert sum(1 for _ in c.decode(video=0)) == 7
    mask = os.umask(0)
    os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~mask  # a new file's usual mode, not mkstemp's 0600


def test_save_into_a_cli_temp_leaves_nothing_remove_temps_cannot_find(tmp_path: Path) -> None:
    from lipglance.io.outputs import OutputFile

    out = OutputFile(tmp_path / "v.mp4", ".mp4", "the video")
    inner = out.temp()  # what the CLI hands to save(): `.v.mp4.XXXX.mp4`

    def killed() -> Iterator[np.ndarray]:
        yield np.zeros((64, 64, 3), np.uint8)
        # the state a kill -9 leaves: save()'s own temp beside the CLI's, neither renamed
        left = [p.name for p in tmp_path.iterdir()]
        assert len(left) == 2 and all(n.startswith(".v.mp4.") for n in left), left
        OutputFile.remove_temps(tmp_path / "v.mp4")
        assert not list(tmp_path.iterdir())
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        LipSync.save(inner, killed())
