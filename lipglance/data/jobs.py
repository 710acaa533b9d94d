"""Run independent shard jobs in worker processes: resumable, splittable across machines, with ETA."""

from __future__ import annotations

import multiprocessing as mp
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from tqdm import tqdm

from lipglance.errors import UserError

J = TypeVar("J")


def parse_shard(spec: str | None) -> tuple[int, int]:
    """'i/n' -> (i, n): this machine does the jobs whose index % n == i."""
    if spec is None:
        return 0, 1
    try:
        i, n = (int(x) for x in spec.split("/"))
    except ValueError:
        raise UserError(f"--shard wants i/n (for example 0/4), not {spec!r}") from None
    if not 0 <= i < n:
        raise UserError(f"--shard {spec}: need 0 <= i < n")
    return i, n


def _init_worker() -> None:
    import torch

    torch.set_num_threads(1)  # determinism and no oversubscription


def run_jobs(jobs: Sequence[J], fn: Callable[..., int], args: tuple[Any, ...], workers: int,
             weight: Callable[[J], int], desc: str, unit: str) -> int:
    """Run fn(job, *args) -> count for every job, in `workers` processes; progress in `unit`s."""
    total = sum(weight(j) for j in jobs)
    done = 0
    with tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, smoothing=0.05, dynamic_ncols=True) as bar:
        if workers <= 1:
            import torch

            threads = torch.get_num_threads()
            _init_worker()
            try:
                for job in jobs:
                    done += fn(job, *args)
                    bar.update(weight(job))
            finally:
                torch.set_num_threads(threads)
            return done
        ctx = mp.get_context("spawn")
        with ctx.Pool(workers, initializer=_init_worker) as pool:
            pending = [(job, pool.apply_async(fn, (job, *args))) for job in jobs]
            for job, res in pending:
                done += res.get()
                bar.update(weight(job))
    return done
