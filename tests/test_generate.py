"""`lipglance generate` on real files: a face photo + TTS speech -> an mp4 PyAV decodes; bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from lipglance.checkpoint import load_checkpoint, save_checkpoint
from lipglance.cli import main
from lipglance.errors import UserError
from lipglance.inference.model.lipsync import DEFAULT_WEIGHTS, LipSync
from lipglance.inference.model.windows import blend_weights
from lipglance.inference.render.paste import find_face
from lipglance.io.audio import load_audio


def _glance(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lipglance", *args], capture_output=True, text=True,
                          timeout=300, check=False)


def _decode(path: Path) -> tuple[list[np.ndarray], float]:
    """RGB frames and the audio duration (s) of an mp4, checking the streams' formats."""
    with av.open(str(path)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        assert v.codec_context.name == "h264" and a.codec_context.name == "aac"
        assert v.codec_context.pix_fmt == "yuv420p" and a.codec_context.channels == 1
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    with av.open(str(path)) as c:
        audio_s = sum(f.samples for f in c.decode(audio=0)) / c.streams.audio[0].rate
    return frames, audio_s


def _psnr_outside(frames: list[np.ndarray], photo: np.ndarray, outside: np.ndarray) -> float:
    mse = max(((f.astype(np.float64) - photo)[outside] ** 2).mean() for f in frames)
    return float(10 * np.log10(255**2 / mse))


def test_photo_and_speech_give_a_real_mp4(tmp_path: Path, sample_wav: Path, astronaut_png: Path) -> None:
    """The default (warp) renderer: the photo's own lips open with speech and close in silence."""
    from lipglance.face import detect_faces, landmarks

    out = tmp_path / "out.mp4"
    r = _glance("generate", "--audio", str(sample_wav), "--image", str(astronaut_png), "-o", str(out), "--still")
    assert r.returncode == 0, r.stderr  # --still: only the mouth moves (the living face: tests/test_living.py)
    frames, audio_s = _decode(out)
    assert frames[0].shape == (512, 512, 3)
    speech = load_audio(sample_wav, 16000)
    assert len(frames) == -(-len(speech) // 640)  # ceil(duration * 25)
    assert abs(audio_s - len(frames) / 25) <= 0.04 + 1024 / 16000  # within a frame (+ one AAC block)
    # Pixels outside the renderer's mouth and jaw box are the photo's (PSNR >= 35 dB there, H.264 noise only).
    from lipglance.inference.render.shape import ShapeWarp

    model = LipSync.from_pretrained()
    photo = np.asarray(Image.open(astronaut_png).convert("RGB"))
    warp = model.prepare_warp(photo, 0, ShapeWarp)
    assert isinstance(warp, ShapeWarp)
    x0, y0, x1, y1 = warp.changed
    outside = np.ones(photo.shape[:2], bool)
    outside[y0:y1, x0:x1] = False
    assert _psnr_outside(frames[::10], photo.astype(np.float64), outside) >= 35
    # dlib on the decoded video: lips closed where the motion rests (silence), wide open at times in speech.
    openings = np.array(list(model.stream_openings(speech)))
    gaps = np.array([np.linalg.norm(np.subtract(*landmarks(f, detect_faces(f)[0])[[62, 66]])) for f in frames])
    assert (openings == 0).sum() >= 5 and np.median(gaps[openings == 0]) < 2.5, gaps
    assert gaps[openings > 0].max() > 8 and np.median(gaps[openings > 0.1]) > 3.5, gaps


def test_network_renderer_pastes_inside_the_mask(tmp_path: Path, sample_wav: Path, astronaut_png: Path) -> None:
    out = tmp_path / "out.mp4"
    r = _glance("generate", "--audio", str(sample_wav), "--image", str(astronaut_png), "-o", str(out),
                "--renderer", "network", "--still")
    assert r.returncode == 0, r.stderr
    frames, _ = _decode(out)
    photo = np.asarray(Image.open(astronaut_png).convert("RGB"))
    target = find_face(photo)
    outside = np.ones(photo.shape[:2], bool)
    x0, y0, x1, y1 = target.roi
    outside[y0:y1, x0:x1] = target.mask[..., 0] == 0
    assert _psnr_outside(frames[::10], photo.astype(np.float64), outside) >= 35
    assert max(np.abs(f.astype(int) - photo).max() for f in frames) > 20, "the network's lips were pasted"


@pytest.mark.parametrize("case", ["missing_audio", "image_as_audio", "audio_as_image", "no_face",
                                  "tiny_image", "bad_output_dir", "empty_audio", "corrupt_image",
                                  "corrupt_audio", "warp_without_probe"])
def test_bad_input_gives_one_line_and_exit_2(tmp_path: Path, sample_wav: Path, astronaut_png: Path,
                                             case: str, capsys: pytest.CaptureFixture[str]) -> None:
    import cv2

    audio, image, out = str(sample_wav), str(astronaut_png), tmp_path / "o.mp4"
    if case == "missing_audio":
        audio = str(tmp_path / "nope.wav")
    elif case == "image_as_audio":
        audio = str(astronaut_png)
    elif case == "audio_as_image":
        image = str(sample_wav)
    elif case == "no_face":
        image = str(tmp_path / "grey.png")
        cv2.imwrite(image, np.full((300, 400, 3), 128, np.uint8))
    elif case == "tiny_image":
        image = str(tmp_path / "tiny.png")
        cv2.imwrite(image, np.full((8, 8, 3), 128, np.uint8))
    elif case == "bad_output_dir":  # a missing folder is made; a file in the way is not
        (tmp_path / "afile").write_bytes(b"x")
        out = tmp_path / "afile" / "o.mp4"
    elif case == "empty_audio":
        audio = str(tmp_path / "empty.wav")
        Path(audio).write_bytes(b"")
    elif case == "corrupt_image":
        image = str(tmp_path / "broken.png")
        Path(image).write_bytes(astronaut_png.read_bytes()[:2000])
    elif case == "corrupt_audio":
        audio = str(tmp_path / "broken.wav")
        Path(audio).write_bytes(b"RIFF" + bytes(range(256)) * 8)
    extra: list[str] = []
    if case == "warp_without_probe":
        ckpt = load_checkpoint(DEFAULT_WEIGHTS)
        bare = {k: v for k, v in ckpt.tensors.items() if not k.startswith("motion.")}
        save_checkpoint(tmp_path / "bare.safetensors", bare, ckpt.config, "generator", ckpt.extra)
        extra = ["--weights", str(tmp_path / "bare.safetensors"), "--renderer", "warp"]
    code = main(["generate", "--audio", audio, "--image", image, "-o", str(out), *extra])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    errors = [line for line in err if "error:" in line]
    assert len(errors) == 1 and "Traceback" not in "\n".join(err), err
    assert not out.exists() and not list(tmp_path.glob(".o.mp4*"))


def test_window_blending_has_no_seams() -> None:
    w = blend_weights(16, 8)
    # Overlapping windows' weights are positive and symmetric.
    assert (w > 0).all() and np.allclose(w, w[::-1])
    model = LipSync.untrained("tiny")
    rng = np.random.default_rng(0)
    audio = (0.1 * rng.standard_normal(16000 * 3)).astype(np.float32)
    ident = rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)
    frames = model.generate(audio, ident).astype(np.float32)  # a 64x64 image is taken as a lip crop
    assert frames.shape == (75, 64, 64, 3)
    change = np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2, 3))
    boundaries = [i - 1 for i in range(8, 75, 8)]  # change from frame i-1 to i at a window start
    inside = np.delete(change, boundaries)
    assert change[boundaries].max() <= inside.max()


@pytest.mark.parametrize("container, codec", [("mp3", "libmp3lame"), ("flac", "flac"), ("ogg", "libopus"),
                                              ("m4a", "aac"), ("mp4", "aac")])
def test_any_audio_format_rate_and_channels(tmp_path: Path, sample_wav: Path, container: str, codec: str) -> None:
    """Speech re-encoded in other formats, at 44.1/48 kHz stereo, gives the same number of frames."""
    rate = 48000 if codec == "libopus" else 44100  # opus only runs at 48 kHz
    speech = load_audio(sample_wav, rate)
    path = tmp_path / f"speech.{container}"
    fmt = {"m4a": "mp4", "ogg": "ogg"}.get(container, container)
    with av.open(str(path), "w", format=fmt) as out:
        s = out.add_stream(codec, rate=rate)
        s.layout = "stereo"
        for start in range(0, len(speech), 4096):
            chunk = np.repeat(speech[None, start:start + 4096], 2, axis=0).astype(np.float32)
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
            frame.sample_rate = rate
            for p in s.encode(frame):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    model = LipSync.untrained("tiny")
    audio = load_audio(path, model.sample_rate)
    n_ref = model.frame_count(len(load_audio(sample_wav, 16000)))
    assert abs(model.frame_count(len(audio)) - n_ref) <= 2  # codec padding may add a few ms
    lips = model.generate(audio, np.full((64, 64, 3), 128, np.uint8))
    assert lips.shape[1:] == (64, 64, 3)


def test_silence_and_very_short_audio_are_valid(tmp_path: Path) -> None:
    model = LipSync.untrained("tiny")
    ident = np.full((64, 64, 3), 100, np.uint8)
    assert model.generate(np.zeros(16000, np.float32), ident).shape == (25, 64, 64, 3)
    assert model.generate(np.zeros(700, np.float32), ident).shape == (2, 64, 64, 3)


def test_long_audio_streams_identically_to_short_chunks() -> None:
    """Window k's frames do not depend on audio far after it: streaming is exact, not approximate."""
    model = LipSync.untrained("tiny")
    rng = np.random.default_rng(1)
    audio = (0.1 * rng.standard_normal(16000 * 6)).astype(np.float32)
    ident = rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)
    full = model.generate(audio, ident)
    head = model.generate(audio[: 16000 * 3], ident)
    np.testing.assert_array_equal(full[:64], head[:64])  # frames before the head's last window agree


def test_python_api_and_lips_only(tmp_path: Path, sample_wav: Path, astronaut_png: Path) -> None:
    import cv2

    from lipglance import LipSync as Exported

    model = Exported.untrained("tiny")
    photo = cv2.cvtColor(cv2.imread(str(astronaut_png)), cv2.COLOR_BGR2RGB)
    audio = load_audio(sample_wav, model.sample_rate)
    frames = model.generate(audio[:16000], photo)
    assert frames.shape == (25, 512, 512, 3)
    lips = model.generate(audio[:16000], photo, lips_only=True)
    assert lips.shape == (25, 64, 64, 3)
    out = tmp_path / "api.mp4"
    assert Exported.save(out, frames, audio[:16000], model.sample_rate) == 25
    with av.open(str(out)) as c:
        assert sum(1 for _ in c.decode(video=0)) == 25
    pngs = tmp_path / "frames"
    assert main(["generate", "--audio", str(sample_wav), "--image", str(astronaut_png), "-o",
                 str(tmp_path / "l.mp4"), "--lips-only", "--frames", str(pngs)]) == 0
    assert len(list(pngs.glob("*.png"))) == model.frame_count(len(audio))
    with av.open(str(tmp_path / "l.mp4")) as c:
        assert (c.streams.video[0].codec_context.width, c.streams.video[0].codec_context.height) == (64, 64)


@pytest.mark.parametrize("audio, message", [
    (np.zeros((20, 8000), np.float32), "mono"),  # 2 channels are mixed down (tests/test_api_inputs.py); 20 are not
    (np.zeros((1, 2, 8000), np.float32), "mono"),
    (np.full(8000, np.nan, np.float32), "NaN"),
    (np.full(8000, np.inf, np.float32), "NaN or infinite"),
    (np.full(8000, 1e30, np.float32), "peaks at"),
    (np.zeros(0, np.float32), "empty"),
    (np.zeros(8000, np.complex64), "dtype complex64: give int16, int32, uint8 or float"),
])
def test_api_refuses_bad_audio_in_one_line(audio: np.ndarray, message: str) -> None:
    model = LipSync.untrained("tiny")
    ident = np.full((64, 64, 3), 120, np.uint8)
    with pytest.raises(UserError, match=message) as e:
        model.generate(audio, ident)
    assert "\n" not in str(e.value)
    with pytest.raises(UserError, match=message):
        next(model.stream_lips(audio, ident))


def test_api_scales_int16_and_refuses_empty_save(tmp_path: Path) -> None:
    model = LipSync.untrained("tiny")
    ident = np.full((64, 64, 3), 120, np.uint8)
    rng = np.random.default_rng(0)
    x = (0.3 * rng.standard_normal(8000)).clip(-1, 1).astype(np.float32)
    as_int = (x * 32768).round().clip(-32768, 32767).astype(np.int16)
    np.testing.assert_array_equal(model.generate(as_int, ident), model.generate(as_int / 32768.0, ident))
    with pytest.raises(UserError, match="no frames"):
        LipSync.save(tmp_path / "none.mp4", [], x, 16000)
    assert not (tmp_path / "none.mp4").exists()
    with pytest.raises(UserError, match="face_index"):
        model.generate(x, ident, face_index=-1)


def test_odd_frame_sizes_are_padded_to_even(tmp_path: Path) -> None:
    """libx264 (yuv420p) needs even sizes: a 65x63 frame is padded by its edge to 66x64, not refused."""
    frames = [np.full((63, 65, 3), 100, np.uint8)] * 3
    assert LipSync.save(tmp_path / "odd.mp4", frames, np.zeros(3 * 640, np.float32), 16000) == 3
    with av.open(str(tmp_path / "odd.mp4")) as c:
        f = next(c.decode(video=0)).to_ndarray(format="rgb24")
    assert f.shape == (64, 66, 3) and abs(int(f[-1, -1, 0]) - 100) <= 3
