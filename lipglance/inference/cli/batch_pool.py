"""Worker processes for `lipglance generate --batch`: one job at a time each, so a worker that dies is one failed job.

concurrent.futures' process pool breaks as a whole when one worker is killed outright (SIGKILL, the kernel's
out-of-memory killer): every job still queued fails with BrokenProcessPool, and which job the dead worker
held is not known. Here each worker is handed one job at a time over its own pipe: when it dies, its job is
recorded as failed ("the worker process died: killed by signal 9"), a new worker takes its place, and the
other jobs go on. SIGTERM to the main process: no new job starts, the running ones finish; Ctrl-C
(to the whole process group): the running jobs stop too, and remove their outputs.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from multiprocessing import get_context
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from lipglance.inference.cli.jobs_csv import Job

JOIN_SECONDS = 600.0  # a worker still running this long after it was asked to stop is killed


def _serve(conn: Connection, init: Callable[..., None], init_args: tuple[Any, ...],
           run: Callable[[Job], str | None]) -> None:
    """A worker: load the model once, then run the jobs it is sent (None: stop) and send back each result.
    Ctrl-C (the terminal signals the whole process group) ends it quietly; its job has removed its output."""
    try:
        init(*init_args)
        while True:
            job = conn.recv()
            if job is None:
                return
            conn.send(run(job))
    except (KeyboardInterrupt, EOFError, BrokenPipeError):
        return


class _Worker:
    def __init__(self, init: Callable[..., None], init_args: tuple[Any, ...], run: Callable[[Job], str | None]) \
            -> None:
        ctx = get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc: BaseProcess = ctx.Process(target=_serve, args=(child, init, init_args, run), daemon=True)
        self.proc.start()
        child.close()
        self.job: Job | None = None

    def died(self) -> str:
        self.proc.join(5)
        code = self.proc.exitcode
        how = (f"killed by signal {-code}" if code is not None and code < 0 else
               f"exit code {code}" if code is not None else "no answer")
        return f"the worker process died ({how})"

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.proc.join(JOIN_SECONDS)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.conn.close()


def run_pool(todo: list[Job], workers: int, init: Callable[..., None], init_args: tuple[Any, ...],
             run: Callable[[Job], str | None], died: Callable[[Job], None]) -> Iterator[tuple[Job, str | None]]:
    """(job, None or its one-line error) for every job of `todo`, as they finish, on `workers` processes;
    `died(job)` cleans up after a worker that died on `job`."""
    pending = deque(todo)
    pool: list[_Worker] = []
    try:
        pool = [_Worker(init, init_args, run) for _ in range(min(workers, len(todo)))]
        while True:
            for w in pool:
                if w.job is None and pending:
                    w.job = pending.popleft()
                    try:
                        w.conn.send(w.job)
                    except OSError:
                        pass  # it died idle: its sentinel says so below, and the job is recorded as failed
            busy = [w for w in pool if w.job is not None]
            if not busy:
                return
            ready = wait([w.conn for w in busy] + [w.proc.sentinel for w in busy])
            for i, w in enumerate(pool):
                if w.job is None or (w.conn not in ready and w.proc.sentinel not in ready):
                    continue
                job, answered, result = w.job, False, None
                try:
                    if w.conn.poll():
                        result, answered = w.conn.recv(), True
                except (EOFError, OSError):  # the pipe closed: the worker is gone
                    pass
                if not answered and w.proc.is_alive():
                    continue  # woken early: still working
                w.job = None
                if answered:
                    yield job, result
                    continue
                died(job)
                yield job, w.died()
                w.conn.close()
                if pending:
                    pool[i] = _Worker(init, init_args, run)
    finally:
        for w in pool:
            if w.proc.is_alive():
                w.stop()
