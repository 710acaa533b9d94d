"""Synthetic corpus, visual side: realistic articulation, dlib agrees with the ground truth,
byte-identical output, the cache form, and clear errors."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest

from lipglance.cli import main
from lipglance.data.cache import Cache
from lipglance.face import detect_faces, landmarks, mouth_square
from lipglance.synth.appearance import Identity
from lipglance.synth.clip import make_clip
from lipglance.synth.corpus.shards import derive_seed

OPEN_VOWELS = {"aa", "ae", "aw", "ay", "ao"}
SENTENCES = [("mbrola-us1", "bin blue at F two now"), ("flite-awb", "place white by M. five please"),
             ("mbrola-en1", "lay green with P. nine soon"), ("flite-kal16", "set red at B. five again")]


@pytest.fixture(scope="module")
def clips():  # type: ignore[no-untyped-def]
    return [make_clip(Identity.sample(derive_seed(1, k)), voice, text, seed=k)
            for k, (voice, text) in enumerate(SENTENCES)]


def _frame_at(clip, t: float) -> int:  # type: ignore[no-untyped-def]
    """The video frame showing time t of the audio (the visual track leads by clip.lead)."""
    return min(len(clip.frames) - 1, max(0, int((t - clip.lead) * 25)))


def test_bilabials_close_the_lips(clips) -> None:  # type: ignore[no-untyped-def]
    n = 0
    for clip in clips:
        full = clip.opening.max()
        for p in clip.phones:
            if p.canon in ("p", "b", "m"):
                gap = clip.opening[_frame_at(clip, (p.start + p.end) / 2)]
                assert gap < 0.05 * full and gap < 0.3, (clip.meta["text"], p, gap, full)
                n += 1
    assert n >= 6


def test_open_vowels_open_widest_and_silence_is_closed(clips) -> None:  # type: ignore[no-untyped-def]
    for clip in clips:
        by_class: dict[str, list[float]] = {"open": [], "other": []}
        for p in clip.phones:
            if p.canon == "sil":
                continue
            gap = float(clip.opening[_frame_at(clip, (p.start + p.end) / 2)])
            by_class["open" if p.canon in OPEN_VOWELS else "other"].append(gap)
        assert by_class["open"], clip.meta["text"]
        assert np.mean(by_class["open"]) > 1.5 * np.mean(by_class["other"])
        # The widest frame of the clip is within 2 frames of an open vowel.
        k = int(clip.opening.argmax())
        near = [p for p in clip.phones if p.canon in OPEN_VOWELS
                and _frame_at(clip, p.start) - 2 <= k <= _frame_at(clip, p.end) + 2]
        assert near, (clip.meta["text"], k)
        # Leading silence (before the first phone, minus the lead and the coarticulation ramp): closed.
        first = next(p for p in clip.phones if p.canon != "sil")
        quiet = clip.opening[: max(1, _frame_at(clip, first.start - 0.12))]
        assert quiet.max() < 0.3


def test_frames_and_mel_line_up(tmp_path: Path) -> None:
    code = main(["synth", str(tmp_path / "c"), "--identities", "3", "--sentences-per-identity", "2",
                 "--workers", "1", "--seed", "5"])
    assert code == 0
    cache = Cache(tmp_path / "c")
    assert len(cache) == 6 and {i["split"] for i in cache} == {"train", "val", "test"}
    for item in cache:
        crops, mel, lms = cache.crops(item), cache.mel(item), cache.landmarks(item)
        assert crops.shape == (item["frames"], 64, 64, 3) and crops.dtype == np.uint8
        assert mel.shape == (4 * item["frames"], 128) and mel.dtype == np.float16
        assert lms.shape == (item["frames"], 20, 2)
        assert len(item["meta"]["opening"]) == item["frames"] and "lead" in item["meta"]
        # Speech energy sits where the phones say: loudest mel frames fall inside the phones.
        energy = mel.astype(np.float32).mean(1)
        phones = [p for p in item["meta"]["phones"] if p[0] != "sil"]
        start, end = phones[0][1], phones[-1][2]
        loud = np.flatnonzero(energy > np.percentile(energy, 90)) / 100
        assert ((loud >= start - 0.02) & (loud <= end + 0.02)).all()
    assert len(cache.stats().mean) == 128


def _tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def test_same_seed_gives_a_byte_identical_corpus(tmp_path: Path) -> None:
    args = ["--identities", "3", "--sentences-per-identity", "2", "--seed", "9"]
    assert main(["synth", str(tmp_path / "a"), *args, "--workers", "1"]) == 0
    assert main(["synth", str(tmp_path / "b"), *args, "--workers", "2"]) == 0
    assert _tree_digest(tmp_path / "a") == _tree_digest(tmp_path / "b")
    # Resume: a rerun with a removed shard redoes only that shard, identically.
    shard = sorted((tmp_path / "a" / "shards").iterdir())[1]
    import shutil

    shutil.rmtree(shard)
    assert main(["synth", str(tmp_path / "a"), *args, "--workers", "1"]) == 0
    assert _tree_digest(tmp_path / "a") == _tree_digest(tmp_path / "b")


def test_a_folder_of_another_corpus_plan_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Resuming into a folder made with another seed or size would mix two corpora's shards."""
    out = tmp_path / "c"
    assert main(["synth", str(out), "--identities", "1", "--sentences-per-identity", "1", "--workers", "1"]) == 0
    before = _tree_digest(out)
    capsys.readouterr()
    for other in (["--identities", "2", "--sentences-per-identity", "1"],
                  ["--identities", "1", "--sentences-per-identity", "1", "--seed", "5"]):
        assert main(["synth", str(out), *other, "--workers", "1"]) == 2
        err = capsys.readouterr().err
        assert "other parameters" in err and "new output folder" in err and len(err.strip().splitlines()) == 1
    assert _tree_digest(out) == before
    video = tmp_path / "v"
    args = ["--identities", "1", "--sentences-per-identity", "1", "--form", "video", "--workers", "1"]
    assert main(["synth", str(video), *args]) == 0
    assert main(["synth", str(video), *args, "--seed", "3"]) == 2
    assert "new output folder" in capsys.readouterr().err


def test_dlib_finds_the_ground_truth_mouth_on_a_real_photo(tmp_path: Path) -> None:
    out = tmp_path / "grid"
    assert main(["synth", str(out), "--identities", "1", "--sentences-per-identity", "2", "--form", "video",
                 "--layout", "grid", "--workers", "2", "--seed", "2"]) == 0
    videos = sorted(out.glob("s1/*.mpg"))
    assert len(videos) == 2
    errors = []
    for video in videos:
        gt = np.load(out / "_groundtruth" / "s1" / f"{video.stem}.npz")["landmarks"]
        with av.open(str(video)) as c:
            assert c.streams.audio, "the video carries its audio"
            frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
        assert len(frames) == len(gt)
        for frame, truth in zip(frames, gt, strict=True):
            faces = detect_faces(frame)
            if not faces:
                errors.append(np.inf)
                continue
            found = landmarks(frame, faces[0])[48:68]
            side = mouth_square(truth)[2]
            errors.append(float(np.linalg.norm(found - truth, axis=1).mean() * 64 / side))
    errors_a = np.array(errors)
    assert (errors_a <= 2.0).mean() >= 0.9, np.percentile(errors_a, [50, 90])


def test_preview_sheet(tmp_path: Path) -> None:
    import cv2

    png = tmp_path / "sheet.png"
    assert main(["synth", "--preview", str(png), "--identities", "3"]) == 0
    img = cv2.imread(str(png))
    assert img.shape == (3 * 128, 10 * 128, 3)
    assert img.std() > 5


def test_missing_engine_says_what_to_install(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path)}  # no espeak-ng, mbrola or flite on PATH
    r = subprocess.run([sys.executable, "-m", "lipglance", "synth", str(tmp_path / "x")], env=env,
                       capture_output=True, text=True, check=False)
    assert r.returncode == 2
    assert "apt-get install" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()
