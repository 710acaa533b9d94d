"""`lipglance preprocess` on real video files in every layout, with bad files, a kill and a resume."""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from lipglance.cli import main
from lipglance.data.cache import Cache, cache_params, init_cache
from lipglance.errors import UserError
from lipglance.io.decode import VideoStreamInfo, aligned_audio, iter_frames
from lipglance.io.video import write_video


@pytest.fixture(scope="session")
def grid_videos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A GRID-layout folder: the astronaut photo speaking (2 speakers x 2 sentences, mpg + MP2)."""
    root = tmp_path_factory.mktemp("grid")
    assert main(["synth", str(root), "--identities", "2", "--sentences-per-identity", "2", "--form", "video",
                 "--layout", "grid", "--workers", "2", "--seed", "11"]) == 0
    return root


def _bad_files(root: Path) -> None:
    rng = np.random.default_rng(0)
    (root / "s9").mkdir()
    (root / "s9" / "corrupt.mpg").write_bytes(rng.integers(0, 256, 4000, dtype=np.uint8).tobytes())
    noise = [rng.integers(0, 255, (288, 360, 3), dtype=np.uint8) for _ in range(40)]
    write_video(root / "s9" / "noface.mpg", noise, 25, np.zeros(40 * 640, np.float32), 16000, "mpeg")
    frames = [f for _, f in zip(range(30), iter_frames(next(root.glob("s1/*.mpg")), 25), strict=False)]
    write_video(root / "s9" / "silent.mpg", frames, 25, None, 16000, "mpeg")
    write_video(root / "s9" / "short.mpg", frames[:8], 25, np.zeros(8 * 640, np.float32), 16000, "mpeg")


def test_grid_layout_crops_mel_alignment_and_failures(grid_videos: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "src"
    shutil.copytree(grid_videos, src)
    _bad_files(src)
    out = tmp_path / "cache"
    assert main(["preprocess", str(src), str(out), "--layout", "grid", "--workers", "2",
                 "--test-speakers", "s2", "--val-speakers", "s9"]) == 0
    err = capsys.readouterr().err
    failures = {json.loads(line)["path"]: json.loads(line)["reason"]
                for line in (out / "failures.jsonl").read_text().splitlines()}
    assert failures == {"s9/corrupt.mpg": "unreadable", "s9/noface.mpg": "no face", "s9/silent.mpg": "no audio",
                        "s9/short.mpg": "too short"}
    for path in failures:
        assert path in err
    cache = Cache(out)
    assert sorted(i["id"] for i in cache) == sorted(f"{p.parent.name}/{p.stem}" for p in grid_videos.glob("s*/*.mpg"))
    assert {i["split"] for i in cache} == {"train", "test"}
    for item in cache:
        crops, mel = cache.crops(item), cache.mel(item)
        assert crops.shape[1:] == (64, 64, 3) and mel.shape == (4 * item["frames"], 128)
        gt = np.load(grid_videos / "_groundtruth" / item["speaker"] / f"{item['utterance']}.npz")
        assert abs(item["frames"] - len(gt["landmarks"])) <= 1
        # Audio/video alignment within one frame: the speech onset in the cached mel matches
        # the first phone of the ground truth (both relative to video frame 0).
        phones = [p for p in json.loads(str(gt["meta"]))["phones"] if p[0] != "sil"]
        energy = mel.astype(np.float32).max(1)
        onset = np.argmax(energy > energy.min() + 0.5 * (energy.max() - energy.min())) / 100
        assert phones[0][1] - 0.04 <= onset <= phones[0][1] + 0.12, (onset, phones[0])
        # The cached mouth landmarks (dlib) sit on the mouth: centred in the crop.
        lms = cache.landmarks(item).astype(np.float32)
        assert np.abs(lms.mean(axis=(0, 1)) - 32).max() < 4


def test_resample_30fps_and_separate_audio(grid_videos: Path, tmp_path: Path) -> None:
    video = next(grid_videos.glob("s1/*.mpg"))
    info = VideoStreamInfo(0.0, 0.0)
    frames = list(iter_frames(video, 25, info))
    wave = aligned_audio(video, 16000, info.start, len(frames) * 640)
    # Re-time to 30 fps (nearest frame), as a camera at another rate would record it.
    n30 = round(len(frames) * 30 / 25)
    frames30 = [frames[min(len(frames) - 1, round(k * 25 / 30))] for k in range(n30)]
    src = tmp_path / "folder"
    (src / "alice").mkdir(parents=True)
    write_video(src / "alice" / "take1.mp4", frames30, 30, wave, 16000, "mp4")
    # GRID with audio in a parallel folder: a silent video + audio/sN/UTT.wav.
    (src / "grid" / "s5").mkdir(parents=True)
    (src / "grid" / "audio" / "s5").mkdir(parents=True)
    write_video(src / "grid" / "s5" / "u1.mpg", frames, 25, None, 16000, "mpeg")
    import wave as wavmod

    with wavmod.open(str(src / "grid" / "audio" / "s5" / "u1.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes((wave * 32767).astype("<i2").tobytes())
    ref = np.load(grid_videos / "_groundtruth" / "s1" / f"{video.stem}.npz")
    for root, layout, uid in ((src / "alice", "folder", None), (src / "grid", "grid", "s5/u1")):
        out = tmp_path / f"cache-{layout}"
        assert main(["preprocess", str(root.parent if layout == "folder" else root), str(out), "--layout", layout,
                     "--workers", "1", "--test-speakers", "none"]) == 0
        cache = Cache(out)
        item = next(i for i in cache if uid is None or i["id"] == uid)
        assert abs(item["frames"] - len(frames)) <= 1
        mel = cache.mel(item).astype(np.float32)
        phones = [p for p in json.loads(str(ref["meta"]))["phones"] if p[0] != "sil"]
        energy = mel.max(1)
        onset = np.argmax(energy > energy.min() + 0.5 * (energy.max() - energy.min())) / 100
        assert phones[0][1] - 0.04 <= onset <= phones[0][1] + 0.12


def test_lrw_layout_uses_the_official_splits(tmp_path: Path) -> None:
    src = tmp_path / "lrw"
    assert main(["synth", str(src), "--identities", "3", "--sentences-per-identity", "1", "--form", "video",
                 "--layout", "lrw", "--workers", "2", "--seed", "4"]) == 0
    out = tmp_path / "cache"
    assert main(["preprocess", str(src), str(out), "--layout", "lrw", "--workers", "1"]) == 0
    cache = Cache(out)
    assert len(cache) == 3
    for item in cache:
        assert item["meta"]["source"].split("/")[1] == item["split"]
        assert item["speaker"] == item["meta"]["source"].split("/")[0]


def test_ldc_layout_holds_out_f02_and_m01(grid_videos: Path, tmp_path: Path) -> None:
    src = tmp_path / "ldc"
    videos = sorted(grid_videos.glob("s*/*.mpg"))
    for speaker, video in zip(("F01", "F02", "M01", "M03"), videos, strict=False):
        (src / speaker / "session1").mkdir(parents=True)
        shutil.copy(video, src / speaker / "session1" / "take.mpg")
    out = tmp_path / "cache"
    assert main(["preprocess", str(src), str(out), "--layout", "ldc", "--workers", "1"]) == 0
    splits = {i["speaker"]: i["split"] for i in Cache(out)}
    assert splits == {"F01": "train", "F02": "test", "M01": "test", "M03": "train"}


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(root)).encode() + p.read_bytes())
    return h.hexdigest()


def test_kill_and_resume_gives_the_same_cache(grid_videos: Path, tmp_path: Path) -> None:
    args = [str(grid_videos), "--layout", "grid", "--workers", "1", "--videos-per-shard", "1"]
    clean = tmp_path / "clean"
    assert main(["preprocess", args[0], str(clean), *args[1:]]) == 0
    killed = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "lipglance", "preprocess", args[0], str(killed), *args[1:]],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and not list((killed / "shards").glob("shard-*")):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    visible = list((killed / "shards").glob("shard-*"))
    assert 1 <= len(visible) < 4, "killed after the first shard, before the last"
    for shard in visible:  # every visible shard is complete
        assert {p.name for p in shard.iterdir()} == {"crops.npy", "mel.npy", "landmarks.npy", "items.jsonl",
                                                     "summary.json"}
    assert not (killed / "manifest.jsonl").exists()
    before = {s.name: _digest(s) for s in visible}
    assert main(["preprocess", args[0], str(killed), *args[1:]]) == 0
    assert {s.name: _digest(killed / "shards" / s.name) for s in visible} == before  # untouched
    for leftover in (killed / "shards").glob(".*"):
        shutil.rmtree(leftover)  # a hidden temp folder of the killed shard may remain; it is never read
    assert _digest(killed) == _digest(clean)


def test_a_cache_with_other_parameters_is_refused(tmp_path: Path) -> None:
    from dataclasses import replace

    from lipglance.config import AudioConfig

    init_cache(tmp_path, cache_params(AudioConfig()), "test")
    with pytest.raises(UserError, match="other parameters"):
        init_cache(tmp_path, cache_params(replace(AudioConfig(), n_mels=80)), "test")


def _mpg(path: Path, frames: list[np.ndarray], rate: int) -> None:
    """MPEG-1 video + MP2 audio at `rate` Hz (a GRID-like .mpg)."""
    import av

    with av.open(str(path), "w", format="mpeg") as out:
        v = out.add_stream("mpeg1video", rate=25)
        v.height, v.width = frames[0].shape[:2]
        v.pix_fmt = "yuv420p"
        a = out.add_stream("mp2", rate=rate)
        a.layout = "mono"
        t = np.arange(len(frames) * rate // 25) / rate
        wave = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
        for frame in frames:
            for p in v.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                out.mux(p)
        for s in range(0, len(wave), 1152):
            af = av.AudioFrame.from_ndarray(wave[None, s:s + 1152].copy(), format="flt", layout="mono")
            af.sample_rate = rate
            for p in a.encode(af):
                out.mux(p)
        for stream in (v, a):
            for p in stream.encode():
                out.mux(p)


def test_one_bad_video_never_aborts_the_job(grid_videos: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A .mpg whose audio rate changes mid-file (two files joined with cat) is cached; an unforeseen fault of
    one video is recorded in failures.jsonl and the others still get their shards."""
    import lipglance.data.preprocess as pre

    src = tmp_path / "src"
    shutil.copytree(grid_videos, src)
    frames = [f for _, f in zip(range(50), iter_frames(next(src.glob("s1/*.mpg")), 25), strict=False)]
    (src / "s9").mkdir()
    _mpg(tmp_path / "a.mpg", frames[:25], 32000)
    _mpg(tmp_path / "b.mpg", frames[25:], 44100)
    (src / "s9" / "joined.mpg").write_bytes((tmp_path / "a.mpg").read_bytes() + (tmp_path / "b.mpg").read_bytes())
    real = pre.process_video

    def faulty(src_: Path, source: pre.Source, cfg: pre.PreprocessConfig) -> object:
        if source.path == "s2/" + sorted(p.name for p in (src / "s2").glob("*.mpg"))[0]:
            raise RuntimeError("an unforeseen fault\nwith a second line")
        return real(src_, source, cfg)

    monkeypatch.setattr(pre, "process_video", faulty)
    out = tmp_path / "cache"
    assert main(["preprocess", str(src), str(out), "--layout", "grid", "--workers", "1", "--test-speakers", "s2",
                 "--val-speakers", "s9"]) == 0
    failures = [json.loads(line) for line in (out / "failures.jsonl").read_text().splitlines()]
    assert [(f["reason"], f["detail"]) for f in failures] == [("error", "RuntimeError: an unforeseen fault")]
    ids = {i["id"] for i in Cache(out)}
    assert "s9/joined" in ids and len(ids) == len(list(src.glob("s*/*.mpg"))) - 1
