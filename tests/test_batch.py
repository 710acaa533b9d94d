"""`lipglance generate --batch` on real files: 1 s cuts of the bundled speech + the astronaut photo."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import av
import pytest
import soundfile as sf

from lipglance.cli import main
from lipglance.inference.cli.jobs_csv import Job, read_jobs, shard

FRAMES = 25  # 1 s of speech at 25 fps


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, sample_wav: Path, astronaut_png: Path) -> Path:
    """s0.wav, s1.wav, s2.wav (1 s each, cut from the sample) and face.png, for CSVs to name relatively."""
    root = tmp_path_factory.mktemp("batch")
    speech, rate = sf.read(sample_wav)
    for i in range(3):
        sf.write(root / f"s{i}.wav", speech[i * rate:(i + 1) * rate], rate)
    shutil.copy(astronaut_png, root / "face.png")
    return root


def _csv(tmp: Path, folder: Path, lines: list[str]) -> Path:
    """A jobs CSV in `tmp` with the clips beside it (paths in it are relative to its folder)."""
    for f in folder.iterdir():
        if not (tmp / f.name).exists():
            (tmp / f.name).symlink_to(f)
    path = tmp / "jobs.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _frames(path: Path) -> int:
    with av.open(str(path)) as c:
        return sum(1 for _ in c.decode(video=0))


def _summary(out: str) -> str:
    return next(line for line in out.splitlines() if line.startswith("batch:"))


def test_jobs_are_made_a_bad_one_recorded_and_a_rerun_resumes(tmp_path: Path, folder: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    jobs = _csv(tmp_path, folder, ["audio,image,output", "s0.wav,face.png,out/a.mp4", "nope.wav,face.png,out/bad.mp4",
                                   "s1.wav,face.png,out/b.mp4", "s2.wav,face.png,out/sub/c.mp4"])
    assert main(["generate", "--batch", str(jobs), "--still"]) == 2  # one failed, the others made
    assert _summary(capsys.readouterr().out).startswith("batch: 3 done, 0 skipped, 1 failed")
    out = tmp_path / "out"
    for name in ("a.mp4", "b.mp4", "sub/c.mp4"):
        assert _frames(out / name) == FRAMES
    assert not (out / "bad.mp4").exists()
    failures = (out / "failures.csv").read_text().splitlines()
    assert len(failures) == 2 and failures[1].startswith("3,nope.wav,face.png,out/bad.mp4,")  # as the CSV says
    assert "no such" in failures[1]

    # Resume: valid videos are skipped; a broken one (a crash mid-write, by hand) is made again.
    (out / "b.mp4").write_bytes(b"not a video")
    made = (out / "a.mp4").stat().st_mtime_ns
    assert main(["generate", "--batch", str(jobs), "--still"]) == 2
    assert _summary(capsys.readouterr().out).startswith("batch: 1 done, 2 skipped, 1 failed")
    assert _frames(out / "b.mp4") == FRAMES and (out / "a.mp4").stat().st_mtime_ns == made

    # --overwrite remakes them all; once the bad job is fixed, exit 0 and no stale failures.csv.
    jobs.write_text(jobs.read_text().replace("nope.wav", "s0.wav"))
    assert main(["generate", "--batch", str(jobs), "--still", "--overwrite", "--lips-only"]) == 0
    assert _summary(capsys.readouterr().out).startswith("batch: 4 done, 0 skipped, 0 failed")
    assert (out / "a.mp4").stat().st_mtime_ns != made and not (out / "failures.csv").exists()
    with av.open(str(out / "a.mp4")) as c:
        assert (c.streams.video[0].width, c.streams.video[0].height) == (64, 64)  # --lips-only for every job


def test_shards_split_the_jobs(tmp_path: Path, folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [f"s{i % 3}.wav,face.png,v{i}.mp4" for i in range(5)]
    jobs = _csv(tmp_path, folder, lines)
    assert [j.line for j in shard(read_jobs(jobs), 1, 2)] == [2, 4]
    assert main(["generate", "--batch", str(jobs), "--lips-only", "--shard", "1/2"]) == 0
    assert sorted(p.name for p in tmp_path.glob("v*.mp4")) == ["v1.mp4", "v3.mp4"]
    assert main(["generate", "--batch", str(jobs), "--lips-only", "--shard", "0/2"]) == 0
    assert sorted(p.name for p in tmp_path.glob("v*.mp4")) == [f"v{i}.mp4" for i in range(5)]
    assert all(_frames(tmp_path / f"v{i}.mp4") == FRAMES for i in range(5))
    assert "3 done" in capsys.readouterr().out


def test_two_workers_make_every_video(tmp_path: Path, folder: Path) -> None:
    jobs = _csv(tmp_path, folder, [f"s{i}.wav,face.png,out/v{i}.mp4" for i in range(3)] + ["s0.wav,gone.png,out/x.mp4"])
    r = subprocess.run([sys.executable, "-m", "lipglance", "generate", "--batch", str(jobs), "--workers", "2",
                        "--still"], capture_output=True, text=True, timeout=300, check=False)
    assert r.returncode == 2, r.stderr
    assert _summary(r.stdout).startswith("batch: 3 done, 0 skipped, 1 failed")
    assert all(_frames(tmp_path / "out" / f"v{i}.mp4") == FRAMES for i in range(3))
    assert "gone.png" in (tmp_path / "out" / "failures.csv").read_text()


@pytest.mark.parametrize(("text", "says"), [
    ("", "no jobs"),
    ("audio,image,output\n", "no jobs"),
    ("s0.wav,face.png\n", "line 1"),
    ("audio,image,output\ns0.wav,face.png,a.mp4\ns1.wav,,b.mp4\n", "line 3"),
    (b"\xff\xfe\x00bad", "cannot read"),
    ("s0.wav,face.png,a.mp4\ns1.wav,face.png,./a.mp4\n", "lines 1 and 2: the same output"),
])
def test_a_malformed_csv_is_one_line_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        text: str | bytes, says: str) -> None:
    jobs = tmp_path / "jobs.csv"
    jobs.write_bytes(text if isinstance(text, bytes) else text.encode())
    assert main(["generate", "--batch", str(jobs)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and says in err, err
    assert [p.name for p in tmp_path.iterdir()] == ["jobs.csv"]


def test_missing_csv_and_single_job_options_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--batch", str(tmp_path / "none.csv")]) == 2
    assert "cannot read" in capsys.readouterr().err
    jobs = tmp_path / "jobs.csv"
    jobs.write_text("s0.wav,face.png,a.mp4\n")
    for extra in (["--audio", "x.wav"], ["-o", "x.mp4"], ["--frames", "f"], ["--image", "x.png"]):
        assert main(["generate", "--batch", str(jobs), *extra]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and "drop" in err, err
    assert main(["generate", "--batch", str(jobs), "--shard", "2/2"]) == 2
    assert main(["generate", "--batch", str(jobs), "--workers", "0"]) == 2
    assert main(["generate", "--audio", "x.wav", "--workers", "2"]) == 2
    assert "--image" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["jobs.csv"]


def test_job_paths_are_relative_to_the_csv(tmp_path: Path) -> None:
    (tmp_path / "jobs.csv").write_text("AUDIO, Image ,output\n\n a.wav , b.png , o/c.mp4 \n/abs/x.wav,y.png,z.mp4\n")
    assert read_jobs(tmp_path / "jobs.csv") == [
        Job(3, tmp_path / "a.wav", tmp_path / "b.png", tmp_path / "o/c.mp4"),
        Job(4, Path("/abs/x.wav"), tmp_path / "y.png", tmp_path / "z.mp4")]
