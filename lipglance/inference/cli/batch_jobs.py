"""`lipglance generate --batch jobs.csv`: many videos with one model load per worker process.

Resumable (a job whose output is already a video PyAV opens is skipped, unless --overwrite), shardable
(`--shard i/n` for a Slurm array or several machines), a bad job never stops the others: each failure is one
line of failures.csv next to the outputs; exit code 0 when every job was made or skipped, 2 when any failed.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from lipglance.errors import UserError, as_flags
from lipglance.inference.cli.batch_pool import run_pool
from lipglance.inference.cli.common import load_model, make_video, prepare_image
from lipglance.inference.cli.jobs_csv import Job, parse_shard, read_jobs, shard
from lipglance.io.outputs import OutputFile, shown

if TYPE_CHECKING:
    from lipglance.inference.model.lipsync import LipSync

SINGLE_ONLY = {"audio": "--audio", "image": "--image", "output": "-o", "frames": "--frames", "box": "--box"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--batch", metavar="JOBS_CSV",
                   help="many videos with one model load: a CSV, one job a line: audio,image,output (paths "
                        "relative to the CSV's folder; a header line allowed); the other options apply to every job")
    p.add_argument("--workers", type=int, default=1, help="--batch: processes, each loading the model once (default 1)")
    p.add_argument("--shard", metavar="I/N", help="--batch: only every N-th job from the I-th (from 0), e.g. "
                                                   "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT")
    p.add_argument("--overwrite", action="store_true",
                   help="--batch: remake outputs that exist (default: skip jobs whose output is a valid mp4)")


def refuse_single_options(args: argparse.Namespace) -> None:
    given = [flag for name, flag in SINGLE_ONLY.items() if getattr(args, name) is not None]
    if given:
        raise UserError(f"--batch takes each job's audio, image and output from its CSV: drop {', '.join(given)}")
    if args.workers < 1:
        raise UserError(f"--workers {args.workers}: give at least 1")


def valid_video(path: Path) -> bool:
    """An mp4 PyAV opens, with a video stream whose first frame decodes (a half-written file is not)."""
    if not path.is_file():
        return False
    import av

    try:
        with av.open(str(path)) as c:
            if not c.streams.video:
                return False
            return next(c.decode(video=0), None) is not None
    except (av.FFmpegError, OSError, ValueError):
        return False


def one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return as_flags(text) if isinstance(e, UserError) else f"{type(e).__name__}: {text}".rstrip(": ")


_model: LipSync | None = None
_args: argparse.Namespace | None = None


def _init(args: argparse.Namespace, threads: int | None) -> None:
    """Load the model once in this process (a worker's initializer, or the main process with --workers 1)."""
    global _model, _args
    if threads is not None:
        import torch

        torch.set_num_threads(threads)
    _args = args
    _model = load_model(args.weights, args.device, getattr(args, "backend", "torch"))


def _run_job(job: Job) -> str | None:
    """Make one job's video; None when made, else its one-line error (never raises but on Ctrl-C)."""
    assert _model is not None and _args is not None
    out: OutputFile | None = None
    try:
        out = OutputFile(job.output, ".mp4", "the video")
        image, _ = prepare_image(str(job.image), _args.max_size, None)
        make_video(_model, _args, str(job.audio), image, None, out, bar=False)
    except Exception as e:  # one bad job never stops the others
        if out is not None:
            out.undo()
        return one_line(e)
    except BaseException:
        if out is not None:
            out.undo()
        raise
    return None


def make_output_folders(todo: list[Job]) -> None:
    """The outputs' folders, made here once: workers making (and undoing) them at once would race."""
    for folder in sorted({j.output.parent for j in todo}):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            pass  # its jobs fail with OutputFile's own one-line message


def _results(todo: list[Job], args: argparse.Namespace) -> Iterator[tuple[Job, str | None]]:
    if args.workers == 1 or len(todo) == 1:
        _init(args, None)
        for job in todo:
            yield job, _run_job(job)
        return
    threads = max(1, (os.cpu_count() or 1) // min(args.workers, len(todo)))
    yield from run_pool(todo, args.workers, _init, (args, threads), _run_job,  # a killed worker: one failed job
                        lambda job: OutputFile.remove_temps(job.output))


def failures_path(jobs: list[Job], shard_text: str | None) -> Path:
    """failures.csv in the outputs' common folder (failures-I-of-N.csv for a shard, so shards do not clash)."""
    folder = Path(os.path.commonpath([str(j.output.absolute().parent) for j in jobs]))
    if shard_text is None:
        return folder / "failures.csv"
    i, n = parse_shard(shard_text)
    return folder / f"failures-{i}-of-{n}.csv"


def write_failures(path: Path, failed: list[tuple[Job, str]]) -> None:
    if not failed:
        path.unlink(missing_ok=True)  # an earlier run's failures are stale once all succeed
        return
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["line", "audio", "image", "output", "error"])
        for job, error in failed:
            w.writerow([job.line, *job.given, error])  # the job as its CSV line gives it


def run_batch(args: argparse.Namespace) -> int:
    refuse_single_options(args)
    jobs = read_jobs(Path(args.batch))
    if args.shard is not None:
        jobs = shard(jobs, *parse_shard(args.shard))
    fail_file = failures_path(jobs, args.shard) if jobs else None
    todo = [j for j in jobs if args.overwrite or not valid_video(j.output)]
    skipped = len(jobs) - len(todo)
    failed: list[tuple[Job, str]] = []
    start = time.perf_counter()
    if todo:
        from tqdm import tqdm

        make_output_folders(todo)
        with tqdm(total=len(todo), unit="job", desc="batch", file=sys.stderr, leave=False) as bar:
            for job, error in _results(todo, args):
                if error is not None:
                    failed.append((job, error))
                    bar.write(f"lipglance generate: job line {job.line} ({shown(job.output)}) failed: {error}",
                              file=sys.stderr)
                bar.update(1)
    if fail_file is not None:
        write_failures(fail_file, failed)
    seconds = time.perf_counter() - start
    print(f"batch: {len(todo) - len(failed)} done, {skipped} skipped, {len(failed)} failed "
          f"({seconds:.1f} s)" + (f"; failures: {shown(fail_file)}" if failed and fail_file else ""))
    return 2 if failed else 0
