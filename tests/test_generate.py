"""`glance generate` on real files: a face photo + TTS speech -> an mp4 PyAV decodes; bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from glance.cli import main
from glance.inference import LipSync, blend_weights


def _glance(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "glance", *args], capture_output=True, text=True,
                          timeout=300, check=False)


def test_photo_and_speech_give_a_real_mp4(tmp_path: Path, sample_wav: Path, astronaut_png: Path) -> None:
    out = tmp_path / "out.mp4"
    r = _glance("generate", "--audio", str(sample_wav), "--image", str(astronaut_png), "-o", str(out))
    assert r.returncode == 0, r.stderr
    with av.open(str(out)) as c:
        v, a = c.streams.video[0], c.streams.audio[0]
        assert v.codec_context.name == "h264" and a.codec_context.name == "aac"
        assert (v.codec_context.width, v.codec_context.height) == (512, 512)
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    duration = 105804 / 2 / 16000  # sample.wav: 16-bit mono PCM after a 44-byte header
    assert abs(len(frames) - duration * 25) <= 1
    # Only the mouth region changes: the top half of the photo is untouched (up to coding noise).
    top = np.stack([f[:150] for f in frames]).astype(np.float32)
    assert np.abs(top - top[0]).mean() < 2.0


@pytest.mark.parametrize("case", ["missing_audio", "image_as_audio", "audio_as_image", "no_face",
                                  "tiny_image", "bad_output_dir", "empty_audio"])
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
    elif case == "bad_output_dir":
        out = tmp_path / "missing" / "o.mp4"
    elif case == "empty_audio":
        audio = str(tmp_path / "empty.wav")
        Path(audio).write_bytes(b"")
    code = main(["generate", "--audio", audio, "--image", image, "-o", str(out)])
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
    frames = model.generate(audio, ident).astype(np.float32)
    assert frames.shape == (75, 64, 64, 3)
    change = np.abs(np.diff(frames, axis=0)).mean(axis=(1, 2, 3))
    boundaries = [i - 1 for i in range(8, 75, 8)]  # change from frame i-1 to i at a window start
    inside = np.delete(change, boundaries)
    assert change[boundaries].max() <= inside.max()
