"""Dubbing (`lipglance generate --video`, `lipglance.dub`): real videos made from real photos, checked with dlib.

The videos: the skimage astronaut photo's head moving and scaling on a 640x480 canvas (her face ~170 px), with a
stretch of a faceless photo (skimage's coffee cup) in the middle, and a tone of their own as sound.
"""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np
import pytest
import skimage.data

from lipglance import dub, dub_stream
from lipglance.cli import main
from lipglance.data.track import FaceTracker
from lipglance.inference.model.lipsync import LipSync
from lipglance.io.audio import load_audio
from lipglance.io.decode import iter_frames
from lipglance.io.video import write_video

W, H = 640, 480
FACELESS = range(30, 45)  # frames of the coffee photo in the video with a cut-away


def _astronaut(k: int) -> np.ndarray:
    """Frame k of the moving astronaut: shifted 2 px a frame sideways, scale oscillating 1.3 +- 0.05."""
    canvas = np.full((H, W, 3), 96, np.uint8)
    s = 1.3 + 0.05 * np.sin(k / 6)
    img = cv2.resize(skimage.data.astronaut()[:320, 80:400], None, fx=s, fy=s, interpolation=cv2.INTER_LINEAR)
    x, y = 40 + 2 * k, 10 + int(6 * np.sin(k / 9))
    h, w = min(img.shape[0], H - y), min(img.shape[1], W - x)
    canvas[y:y + h, x:x + w] = img[:h, :w]
    return canvas


def _talking(k: int) -> np.ndarray:
    """Frame k of the astronaut speaking: her own mouth opened 0..0.3 mouth widths (lipglance.inference.render.closing)
    and moving."""
    from lipglance.face import detect_faces, landmarks
    from lipglance.inference.render.closing import reshape_mouth

    head = cv2.resize(skimage.data.astronaut()[:320, 80:400], None, fx=1.3, fy=1.3, interpolation=cv2.INTER_LINEAR)
    mouth = landmarks(head, detect_faces(head)[0])[48:68]
    opening = 0.3 * np.linalg.norm(mouth[0] - mouth[6]) * (0.5 + 0.5 * np.sin(k / 2.5))
    canvas = np.full((H, W, 3), 96, np.uint8)
    x, y = 40 + 2 * k, 10
    h, w = min(head.shape[0], H - y), min(head.shape[1], W - x)
    canvas[y:y + h, x:x + w] = reshape_mouth(head, mouth, opening)[:h, :w]
    return canvas


def _coffee() -> np.ndarray:
    return cv2.resize(skimage.data.coffee(), (W, H), interpolation=cv2.INTER_AREA)


def _tone(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * 16000)) / 16000
    return (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("dub")
    out = {"cutaway": root / "cutaway.mp4", "short": root / "short.mpg", "noface": root / "noface.mp4",
           "corrupt": root / "corrupt.mp4", "empty": root / "empty.mp4", "talking": root / "talking.mp4",
           "30fps": root / "30fps.mp4"}
    frames = [_coffee() if k in FACELESS else _astronaut(k) for k in range(75)]
    write_video(out["cutaway"], frames, 25, _tone(3.0), 16000, "mp4", crf=18)
    write_video(out["short"], [_astronaut(k) for k in range(30)], 25, _tone(1.2), 16000, "mpeg")
    write_video(out["noface"], [_coffee()] * 20, 25, _tone(0.8), 16000, "mp4")
    write_video(out["talking"], [_talking(k) for k in range(50)], 25, _tone(2.0), 16000, "mp4")
    write_video(out["30fps"], [_astronaut(k) for k in range(36)], 30)
    out["corrupt"].write_bytes(out["cutaway"].read_bytes()[:4000])  # the index (moov) is at the end: lost
    with av.open(str(out["empty"]), "w") as c:  # a video stream that holds no frames
        s = c.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = W, H, "yuv420p"
        c.start_encoding()  # the header is written: an mp4 with a video stream and no frame
    return out


def _speech(tmp_path: Path, sample_wav: Path, seconds: float | None, silent: bool = False) -> Path:
    import soundfile as sf

    audio = load_audio(sample_wav, 16000)
    audio = audio[: int(seconds * 16000)] if seconds else audio
    path = tmp_path / ("silence.wav" if silent else "speech.wav")
    sf.write(path, np.zeros_like(audio) if silent else audio, 16000)
    return path


def _stream(path: Path) -> tuple[list[np.ndarray], float, tuple[int, int]]:
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
        return frames, float(v.average_rate), (v.codec_context.width, v.codec_context.height)


def _dub_to(out: Path, speech: Path, video: Path) -> Path:
    assert main(["generate", "--audio", str(speech), "--video", str(video), "-o", str(out)]) == 0
    return out


def _mouths(frames: list[np.ndarray]) -> list[np.ndarray | None]:
    """dlib's 68 points of each frame (None: no face)."""
    tracker = FaceTracker(redetect=1, max_width=960)
    return [None if np.isnan(p[0, 0]) else p for _, p in tracker.track(frames)]


def _opening(points: np.ndarray) -> float:
    """Inner-lip opening (points 62-66) in mouth widths (48-54)."""
    return float(np.linalg.norm(points[62] - points[66]) / np.linalg.norm(points[48] - points[54]))


def test_dub_cuts_the_video_passes_faceless_frames_and_moves_the_mouth_with_the_speech(
        tmp_path: Path, sample_wav: Path, videos: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    speech = _speech(tmp_path, sample_wav, 2.4)  # 60 frames of the 75-frame video
    out = tmp_path / "dub.mp4"
    assert main(["generate", "--audio", str(speech), "--video", str(videos["cutaway"]), "-o", str(out)]) == 0
    line = capsys.readouterr().out
    assert "(60 frames, 2.40 s; 15 of 60 frames without a face passed through unchanged; the video cut" in line
    frames, fps, size = _stream(out)
    assert (len(frames), fps, size) == (60, 25.0, (W, H))
    source = list(iter_frames(videos["cutaway"], 25))
    for k in FACELESS:  # the faceless frames are the video's (H.264 twice)
        assert np.abs(frames[k].astype(int) - source[k]).mean() < 2.0, k
    # Outside the mouth and jaw every face frame is the video's too (head motion kept) ...
    points = _mouths(source[:60])
    for k in (5, 20, 50):
        x0, x1 = points[k][48:68, 0].min() - 25, points[k][48:68, 0].max() + 25
        keep = np.ones((H, W), bool)
        keep[int(points[k][:, 1].min()) - 10:, int(x0):int(x1)] = False  # the face below the eyes may change
        assert np.abs(frames[k].astype(int) - source[k])[keep].mean() < 2.0, k
    # ... and dlib on the output sees the mouth follow the speech; with silence it stays shut.
    silent = tmp_path / "silent.mp4"
    assert main(["generate", "--audio", str(_speech(tmp_path, sample_wav, 2.4, silent=True)), "--video",
                 str(videos["cutaway"]), "-o", str(silent)]) == 0
    talk = [_opening(p) for p in _mouths(frames) if p is not None]
    silent_frames = _stream(silent)[0]
    shut = [_opening(p) for p in _mouths(silent_frames) if p is not None]
    original = [_opening(p) for p in points if p is not None]
    assert len(talk) >= 40 and len(shut) >= 40
    assert np.median(original) > 0.12  # the astronaut smiles with her teeth apart ...
    assert np.median(shut) < 0.05  # ... closed by the renderer on silence
    assert max(talk) > 0.10 and np.mean(talk) > np.mean(shut) + 0.02
    # Where the speech is loud the mouth differs from the silent dub's, where it is quiet it does not.
    wave = load_audio(speech, 16000)
    faces = [k for k in range(60) if k not in FACELESS]
    envelope = [np.sqrt(np.mean(wave[k * 640:(k + 1) * 640] ** 2)) for k in faces]
    change = []
    for k in faces:
        (x0, y0), (x1, y1) = points[k][48:68].min(0).astype(int) - 8, points[k][48:68].max(0).astype(int) + 8
        change.append(np.abs(frames[k][y0:y1, x0:x1].astype(int) - silent_frames[k][y0:y1, x0:x1]).mean())
    r = np.corrcoef(envelope, change)[0, 1]
    assert r > 0.3, r


def test_dub_ping_pongs_a_short_mpg_and_has_the_new_speech_as_sound(
        tmp_path: Path, sample_wav: Path, videos: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "long.mp4"
    assert main(["generate", "--audio", str(sample_wav), "--video", str(videos["short"]), "-o", str(out)]) == 0
    line = capsys.readouterr().out
    speech = load_audio(sample_wav, 16000)
    n = -(-len(speech) // 640)  # 83 frames over a 30-frame video: 0..29, 28..0, 1..24
    assert f"({n} frames" in line and "0 of" in line and "1.20-s video played forward and back" in line
    frames, fps, size = _stream(out)
    assert (len(frames), fps, size) == (n, 25.0, (W, H))
    order = list(range(30)) + list(range(28, -1, -1)) + list(range(1, n - 58))
    noses = [p[30] for p in _mouths(frames)]  # the nose tip: the head's motion, not the mouth's
    source = [p[30] for p in _mouths(list(iter_frames(videos["short"], 25)))]
    for i in (10, 29, 35, 50, 58, 70, 80):  # forward, back, forward again
        assert np.abs(noses[i] - source[order[i]]).max() < 2.5, (i, noses[i], source[order[i]])
    for i in (35, 50, 58):  # not a loop back to the start, nor the last frame held
        assert np.abs(noses[i] - source[i % 30]).max() > 3 and np.abs(noses[i] - source[29]).max() > 3
    sound = load_audio(out, 16000)
    assert abs(len(sound) / 16000 - len(speech) / 16000) < 0.1
    m = min(len(sound), len(speech))
    lag = int(np.argmax(np.correlate(sound[:m], speech[:m][2000:-2000], "valid"))) - 2000
    assert abs(lag) < 1100 and np.corrcoef(sound[2000 + lag:m - 2000 + lag], speech[2000:m - 2000])[0, 1] > 0.9
    tone = np.abs(np.fft.rfft(sound))[[round(440 * len(sound) / 16000)]]
    assert tone[0] < 0.05 * np.abs(np.fft.rfft(sound)).max()  # the video's own tone is gone


def test_dub_closes_a_speaking_mouth_on_silence(tmp_path: Path, sample_wav: Path, videos: dict[str, Path],
                                                 model: LipSync) -> None:
    """The source's own mouth opens and closes (0 to 0.3 widths); dubbed with silence, dlib sees it shut."""
    source = [_opening(p) for p in _mouths(list(iter_frames(videos["talking"], 25))) if p is not None]
    assert max(source) > 0.2 and min(source) < 0.08 and len(source) == 50
    silence = np.zeros(2 * 16000, np.float32)
    shut = [_opening(p) for p in _mouths(list(dub_stream(model, silence, videos["talking"]))) if p is not None]
    assert len(shut) == 50 and max(shut) < 0.08 and np.median(shut) < 0.04, shut  # dlib's noise: ~0.03
    assert np.mean(source) - np.mean(shut) > 0.08


def test_rest_width_stretches_the_closed_mouth_along_its_corner_line() -> None:
    from lipglance.inference.render.shape import ShapeWarp, closed_points
    from lipglance.inference.video.dub_render import RestShapeWarp

    image = np.zeros((200, 200, 3), np.uint8)
    angle = np.deg2rad(10)
    mouth = np.array([[np.cos(a) * 30, np.sin(a) * 12] for a in np.linspace(np.pi, -np.pi, 20, endpoint=False)])
    mouth = mouth @ np.array([[np.cos(angle), np.sin(angle)], [-np.sin(angle), np.cos(angle)]]) + 100
    warp = ShapeWarp.for_image(image, mouth)
    wide = RestShapeWarp(warp.image, warp.points, warp.roi, rest=1.2 * warp.width).target(np.zeros((20, 2)))
    plain = warp.target(np.zeros((20, 2)))
    assert np.allclose(plain, closed_points(mouth))
    assert np.linalg.norm(wide[6] - wide[0]) == pytest.approx(1.2 * np.linalg.norm(plain[6] - plain[0]))
    assert np.allclose((wide[0] + wide[6]) / 2, (plain[0] + plain[6]) / 2)


def test_dub_fps_option_and_the_api(tmp_path: Path, sample_wav: Path, videos: dict[str, Path], model: LipSync) -> None:
    from lipglance.inference.video.dub import DubStats

    speech = _speech(tmp_path, sample_wav, 1.0)
    out = tmp_path / "30.mp4"
    assert main(["generate", "--audio", str(speech), "--video", str(videos["short"]), "-o", str(out),
                 "--fps", "30"]) == 0
    frames, fps, _ = _stream(out)
    assert (len(frames), fps) == (30, 30.0)
    frames, fps, _ = _stream(_dub_to(tmp_path / "from30.mp4", speech, videos["30fps"]))  # a 30 fps source
    assert (len(frames), fps) == (25, 25.0)
    stats = dub(model, load_audio(speech, 16000), videos["cutaway"], tmp_path / "api.mp4")
    assert isinstance(stats, DubStats) and (stats.frames, stats.faceless) == (25, 0)
    assert len(_stream(tmp_path / "api.mp4")[0]) == 25


def test_ping_pong_without_a_store_from_the_header_gives_the_same_frames(
        sample_wav: Path, videos: dict[str, Path], model: LipSync, monkeypatch: pytest.MonkeyPatch) -> None:
    """A header that promises a longer video than there is: the store is filled by a second pass."""
    import lipglance.inference.video.dub as dub

    audio = load_audio(sample_wav, 16000)[:16000 * 2]
    planned = list(dub_stream(model, audio, videos["short"]))
    real = dub.probe_video
    monkeypatch.setattr(dub, "probe_video", lambda p: dub.VideoInfo(**{**real(p).__dict__, "frames": 10_000}))
    fallback = list(dub_stream(model, audio, videos["short"]))
    assert len(planned) == len(fallback) == 50
    assert all(np.array_equal(a, b) for a, b in zip(planned, fallback, strict=True))


@pytest.mark.parametrize("case", ["corrupt", "audio", "empty", "noface", "image", "faceindex"])
def test_bad_video_is_one_line_exit_2_and_nothing_written(
        tmp_path: Path, sample_wav: Path, astronaut_png: Path, videos: dict[str, Path], case: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.mp4"
    video = {"audio": sample_wav, "image": videos["short"], "faceindex": videos["short"]}.get(case) or videos[case]
    extra = {"image": ["--image", str(astronaut_png)], "faceindex": ["--face-index", "1"]}.get(case, [])
    assert main(["generate", "--audio", str(sample_wav), "--video", str(video), "-o", str(out), *extra]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip() and not line.startswith("dub:")]
    assert len(err) == 1 and err[0].startswith("lipglance generate: error: "), err
    expect = {"corrupt": "not a readable video", "audio": "has no video stream", "empty": "not a readable video",
              "noface": "no face found in the video", "image": "--video and --image",
              "faceindex": "no face number 1"}[case]
    assert expect in err[0]
    assert list(tmp_path.iterdir()) == []


def test_demo_dubs_a_video_and_refuses_a_bad_one(tmp_path: Path, sample_wav: Path, videos: dict[str, Path],
                                                 model: LipSync) -> None:
    from lipglance.errors import UserError
    from lipglance.inference.cli.dub_demo import dub_video

    speech = _speech(tmp_path, sample_wav, 1.0)
    path, summary = dub_video(model, str(speech), str(videos["cutaway"]), out_dir=str(tmp_path))
    assert len(_stream(Path(path))[0]) == 25 and summary.startswith("0 of 25 frames without a face")
    with pytest.raises(UserError, match="no face found in the video"):
        dub_video(model, str(speech), str(videos["noface"]), out_dir=str(tmp_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([Path(path).name, "speech.wav"])


def test_dub_a_clip_of_the_corpus_video_form(tmp_path: Path, sample_wav: Path, model: LipSync) -> None:
    """`lipglance synth --form video` (a real photo whose mouth speaks, GRID-like 360x288 mpg): dubbed with silence
    dlib sees the mouth shut in every frame, dubbed with speech it opens."""
    assert main(["synth", str(tmp_path / "corpus"), "--form", "video", "--identities", "1",
                 "--sentences-per-identity", "1", "--workers", "1"]) == 0
    clip = next((tmp_path / "corpus").glob("s*/*.mpg"))
    n = len(list(iter_frames(clip, 25)))
    silent = [_opening(p) for p in _mouths(list(dub_stream(model, np.zeros(n * 640, np.float32), clip)))
              if p is not None]
    talk = [_opening(p) for p in _mouths(list(dub_stream(model, load_audio(sample_wav, 16000)[:n * 640], clip)))
            if p is not None]
    assert len(silent) == len(talk) == n
    assert np.percentile(silent, 90) < 0.03 and np.median(silent) < 0.025  # dlib's noise on a closed mouth
    assert np.percentile(talk, 90) > 0.07 and np.mean(talk) > np.mean(silent) + 0.02


def test_dub_with_the_onnx_backend_matches_torch(tmp_path: Path, sample_wav: Path, videos: dict[str, Path]) -> None:
    pytest.importorskip("onnxruntime")
    speech = _speech(tmp_path, sample_wav, 1.0)
    torch_out, onnx_out = tmp_path / "torch.mp4", tmp_path / "onnx.mp4"
    assert main(["generate", "--audio", str(speech), "--video", str(videos["short"]), "-o", str(torch_out)]) == 0
    assert main(["generate", "--audio", str(speech), "--video", str(videos["short"]), "-o", str(onnx_out),
                 "--backend", "onnx"]) == 0
    a, b = _stream(torch_out)[0], _stream(onnx_out)[0]
    assert len(a) == len(b) == 25
    assert max(np.abs(x.astype(int) - y).mean() for x, y in zip(a, b, strict=True)) < 0.5
