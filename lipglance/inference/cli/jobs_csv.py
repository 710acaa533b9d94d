"""The jobs file of `lipglance generate --batch`: one job a line (audio,image,output), read and checked whole
before any job runs; `--shard i/n` picks every n-th job from the i-th."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from lipglance.errors import UserError
from lipglance.io.outputs import shown

COLUMNS = ("audio", "image", "output")


@dataclass(frozen=True)
class Job:
    line: int  # in the CSV, from 1
    audio: Path
    image: Path
    output: Path
    given: tuple[str, ...] = field(default=(), compare=False)  # the line's cells as written


def read_jobs(csv_path: Path) -> list[Job]:
    """The jobs of a CSV, paths relative to its folder; an optional header line `audio,image,output`.
    A missing file, an empty one or a line without three non-empty columns: UserError naming the line."""
    try:
        with open(csv_path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise UserError(f"--batch {shown(csv_path)}: cannot read the jobs ({getattr(e, 'strerror', None) or e})"
                        ) from None
    base = csv_path.parent
    jobs: list[Job] = []
    first = True
    for number, row in enumerate(rows, 1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if first and tuple(c.lower() for c in cells) == COLUMNS:
            first = False
            continue  # the header
        first = False
        if len(cells) != 3 or not all(cells):
            raise UserError(f"--batch {shown(csv_path)} line {number}: give audio,image,output "
                            f"(3 columns, none empty), not {len(cells)} column(s): {','.join(row)[:80]!r}")
        audio, image, output = (base / c for c in cells)
        jobs.append(Job(number, audio, image, output, tuple(cells)))
    if not jobs:
        raise UserError(f"--batch {shown(csv_path)}: no jobs in it (one a line: audio,image,output)")
    first_line: dict[Path, int] = {}
    for job in jobs:  # two jobs writing one file would overwrite each other (or race, with --workers)
        key = job.output.resolve()
        if key in first_line:
            raise UserError(f"--batch {shown(csv_path)} lines {first_line[key]} and {job.line}: "
                            f"the same output {job.given[2]}")
        first_line[key] = job.line
    return jobs


def parse_shard(text: str) -> tuple[int, int]:
    """`i/n` (0 <= i < n) -> (i, n)."""
    try:
        i, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise UserError(f"--shard {text}: give i/n, e.g. 0/4 (shard i of n, from 0)") from None
    if n < 1 or not 0 <= i < n:
        raise UserError(f"--shard {text}: give i/n with 0 <= i < n, e.g. 0/4")
    return i, n


def shard(jobs: list[Job], i: int, n: int) -> list[Job]:
    return jobs[i::n]
