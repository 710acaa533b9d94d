"""Iterate a source in a background thread, a few items ahead, so that producing frames (the model, the
renderer: NumPy, OpenCV and torch release the GIL) overlaps with consuming them (the H.264 encoder).

Memory stays bounded (at most `depth` items wait); an exception in the source is raised in the consumer, with
its own traceback; `close()` (or leaving the `with` block) stops the thread and closes the source, also when
the consumer gives up part-way (an error, Ctrl-C, SIGTERM).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import Generic, TypeVar

T = TypeVar("T")
_POLL = 0.1  # s: how often a blocked side looks whether the other one has gone


class Prefetch(Generic[T]):
    def __init__(self, source: Iterable[T], depth: int = 8) -> None:
        self._queue: queue.Queue[tuple[str, object]] = queue.Queue(depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(iter(source),), daemon=True, name="lipglance-prefetch")
        self._thread.start()

    def _put(self, message: tuple[str, object]) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(message, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, it: Iterator[T]) -> None:
        try:
            for item in it:
                if not self._put(("item", item)):
                    return
            self._put(("end", None))
        except BaseException as e:  # handed to the consumer, raised there
            self._put(("error", e))
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()

    def __iter__(self) -> Iterator[T]:
        while True:
            try:
                kind, value = self._queue.get(timeout=_POLL)
            except queue.Empty:
                if not self._thread.is_alive() and self._queue.empty():
                    return
                continue
            if kind == "end":
                return
            if kind == "error":
                assert isinstance(value, BaseException)
                raise value
            yield value  # type: ignore[misc]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def __enter__(self) -> Prefetch[T]:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
