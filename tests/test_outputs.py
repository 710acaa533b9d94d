"""What `lipglance generate` writes: mode 0644 in a made folder, transparency on white, --max-size, --fps, --crf."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
import skimage.data
from PIL import Image

from lipglance.cli import main
from lipglance.inference.cli.retime import retime, retimed_count
from lipglance.io.audio import load_audio


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def _video(path: Path) -> tuple[int, int, float, int, list[np.ndarray]]:
    """(width, height, fps, frame count, frames) of an mp4 as PyAV decodes it."""
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
        return v.codec_context.width, v.codec_context.height, float(v.average_rate), len(frames), frames


def test_outputs_are_0644_in_a_made_folder(tmp_path: Path, sample_wav: Path, astronaut_png: Path,
                                           umask_022: None) -> None:
    out = tmp_path / "new" / "deeper" / "o.mp4"
    frames = tmp_path / "pngs"
    assert main(["generate", "--audio", str(sample_wav), "--image", str(astronaut_png), "-o", str(out),
                 "--lips-only", "--frames", str(frames)]) == 0
    assert (out.stat().st_mode & 0o777) == 0o644
    assert all((p.stat().st_mode & 0o777) == 0o644 for p in frames.glob("*.png"))
    assert sorted(p.name for p in out.parent.iterdir()) == ["o.mp4"]  # no temp file left


def test_a_failure_removes_the_folders_it_made(tmp_path: Path, astronaut_png: Path) -> None:
    out = tmp_path / "new" / "o.mp4"
    assert main(["generate", "--audio", str(tmp_path / "missing.wav"), "--image", str(astronaut_png),
                 "-o", str(out)]) == 2
    assert not (tmp_path / "new").exists()


def test_transparency_is_white(tmp_path: Path, sample_wav: Path) -> None:
    rgba = np.concatenate([skimage.data.astronaut(), np.full((512, 512, 1), 255, np.uint8)], axis=2)
    rgba[:, :96, :3] = 0  # black under ...
    rgba[:, :96, 3] = 0  # ... a transparent band
    png = tmp_path / "clear.png"
    Image.fromarray(rgba).save(png)
    out = tmp_path / "o.mp4"
    assert main(["generate", "--audio", str(sample_wav), "--image", str(png), "-o", str(out)]) == 0
    frame = _video(out)[4][0]
    assert frame[:, 4:90].mean() > 245  # white, not black
    assert frame[:, 120:].mean() < 200  # the photo itself


def test_max_size_caps_a_huge_photo_and_scales_the_box(tmp_path: Path, sample_wav: Path) -> None:
    big = np.full((3000, 4000, 3), 200, np.uint8)
    big[:, 500:3500] = cv2.resize(skimage.data.astronaut(), (3000, 3000), interpolation=cv2.INTER_CUBIC)
    png = tmp_path / "big.png"
    Image.fromarray(big).save(png)
    out = tmp_path / "o.mp4"
    assert main(["generate", "--audio", str(sample_wav), "--image", str(png), "-o", str(out)]) == 0
    width, height = _video(out)[:2]
    assert (width, height) == (1920, 1440)
    assert main(["generate", "--audio", str(sample_wav), "--image", str(png), "-o", str(out), "--max-size", "640",
                 "--box", f"{500 + 179 * 3000 // 512},{83 * 3000 // 512},{87 * 3000 // 512},{87 * 3000 // 512}"]) == 0
    assert _video(out)[:2] == (640, 480)


def test_fps_and_crf(tmp_path: Path, sample_wav: Path, astronaut_png: Path) -> None:
    base, fast, small = tmp_path / "b.mp4", tmp_path / "f.mp4", tmp_path / "s.mp4"
    args = ["generate", "--audio", str(sample_wav), "--image", str(astronaut_png)]
    assert main([*args, "-o", str(base)]) == 0
    assert main([*args, "-o", str(fast), "--fps", "30"]) == 0
    assert main([*args, "-o", str(small), "--crf", "40"]) == 0
    _, _, fps25, n25, frames25 = _video(base)
    _, _, fps30, n30, _ = _video(fast)
    assert (fps25, fps30) == (25.0, 30.0) and n30 == retimed_count(n25, 25, 30)
    assert abs(n30 / 30 - n25 / 25) < 0.05  # the same duration
    _, _, _, n_small, frames_small = _video(small)
    assert n_small == n25 and small.stat().st_size < 0.6 * base.stat().st_size
    assert np.abs(frames_small[40].astype(int) - frames25[40]).mean() < 8  # the same picture, coarser


def test_retime_blends_and_keeps_the_duration() -> None:
    src = [np.full((2, 2, 3), 10 * i, np.uint8) for i in range(10)]
    out = list(retime(src, 10, 25, 50))
    assert len(out) == 20 and out[0][0, 0, 0] == 0 and out[1][0, 0, 0] == 5 and out[2][0, 0, 0] == 10
    assert out[-1][0, 0, 0] == 90  # the last frame held
    assert [int(f[0, 0, 0]) for f in retime(src, 10, 25, 25)] == [10 * i for i in range(10)]
    assert len(list(retime(src, 10, 25, 10))) == 4


@pytest.mark.parametrize("extra, message", [(["--max-size", "10"], "--max-size"), (["--fps", "0"], "--fps"),
                                            (["--fps", "500"], "--fps"), (["--crf", "60"], "--crf")])
def test_bad_numbers_are_refused(tmp_path: Path, sample_wav: Path, astronaut_png: Path, extra: list[str],
                                 message: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "o.mp4"
    assert main(["generate", "--audio", str(sample_wav), "--image", str(astronaut_png), "-o", str(out),
                 *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and not out.exists(), err


def _seconds(eta: str) -> int:
    parts = [int(p) for p in eta.split(":")]
    return sum(p * 60 ** i for i, p in enumerate(reversed(parts)))


def test_the_first_eta_is_honest(tmp_path: Path, sample_wav: Path, astronaut_png: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    long = tmp_path / "long.wav"  # the sample three times: 10 s, 250 frames, several bar updates
    pcm = (np.tile(load_audio(sample_wav, 16000), 3) * 32767).astype(np.int16)
    with av.open(str(long), "w") as out:
        s = out.add_stream("pcm_s16le", rate=16000)
        s.layout = "mono"
        frame = av.AudioFrame.from_ndarray(pcm[None, :], format="s16", layout="mono")
        frame.sample_rate = 16000
        for p in [*s.encode(frame), *s.encode()]:
            out.mux(p)
    start = time.time()
    assert main(["generate", "--audio", str(long), "--image", str(astronaut_png), "-o", str(tmp_path / "o.mp4")]) == 0
    took = time.time() - start
    err = capsys.readouterr().err
    etas = [_seconds(m) for m in re.findall(r"<(\d+:\d\d(?::\d\d)?),", err)]
    assert etas, err[-500:]
    assert etas[0] <= 2 * took + 2, (etas[:5], took)  # not minutes for seconds of work


def test_demo_page_keeps_the_sound_and_whitens_transparency(tmp_path: Path, sample_wav: Path) -> None:
    """The browser demo's generation (lipglance.inference.cli.demo.synthesize, what its button runs) follows the CLI."""
    from lipglance.inference.cli.demo import synthesize
    from lipglance.inference.model.lipsync import LipSync

    speech = load_audio(sample_wav, 48000)
    wav = tmp_path / "rec.wav"
    with av.open(str(wav), "w") as out:
        s = out.add_stream("pcm_s16le", rate=48000)
        s.layout = "stereo"
        frame = av.AudioFrame.from_ndarray((np.stack([speech, speech]).T.reshape(1, -1) * 32767).astype(np.int16),
                                           format="s16", layout="stereo")
        frame.sample_rate = 48000
        for p in [*s.encode(frame), *s.encode()]:
            out.mux(p)
    rgba = np.concatenate([skimage.data.astronaut(), np.full((512, 512, 1), 255, np.uint8)], axis=2)
    rgba[:, :96] = 0  # transparent black
    video, _, _ = synthesize(LipSync.from_pretrained(), str(wav), rgba, out_dir=str(tmp_path))
    with av.open(video) as c:
        a = c.streams.audio[0].codec_context
        assert (a.sample_rate, a.channels) == (48000, 2)
    assert _video(Path(video))[4][0][:, 4:90].mean() > 245


def test_an_odd_sized_photo_says_why_its_video_is_a_pixel_smaller(tmp_path: Path, sample_wav: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    odd = np.full((511, 513, 3), 255, np.uint8)  # the astronaut, one column wider and one row shorter
    odd[:, :512] = skimage.data.astronaut()[:511]
    Image.fromarray(odd).save(tmp_path / "odd.png")
    out = tmp_path / "odd.mp4"
    assert main(["generate", "--audio", str(sample_wav), "--image", str(tmp_path / "odd.png"), "-o", str(out),
                 "--still"]) == 0
    said = capsys.readouterr().out
    assert "512x510 px: H.264 needs even sizes, so the photo's last column and row is left out" in said, said
    with av.open(str(out)) as c:
        assert (c.streams.video[0].codec_context.width, c.streams.video[0].codec_context.height) == (512, 510)
