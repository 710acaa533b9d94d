"""lipglance.io.prefetch: items in order, errors raised in the consumer, bounded look-ahead, clean stop."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from lipglance.io.prefetch import Prefetch


def test_items_come_in_order_from_another_thread() -> None:
    threads = set()

    def source() -> Iterator[int]:
        for i in range(100):
            threads.add(threading.get_ident())
            yield i

    with Prefetch(source(), depth=4) as ahead:
        assert list(ahead) == list(range(100))
    assert threads and threading.get_ident() not in threads


def test_an_error_in_the_source_is_raised_in_the_consumer() -> None:
    def source() -> Iterator[int]:
        yield 1
        raise ValueError("bad frame 2")

    with Prefetch(source()) as ahead, pytest.raises(ValueError, match="bad frame 2"):
        list(ahead)


def test_look_ahead_is_bounded_and_close_stops_and_closes_the_source() -> None:
    made, closed = [], threading.Event()

    def source() -> Iterator[int]:
        try:
            for i in range(10_000):
                made.append(i)
                yield i
        finally:
            closed.set()

    ahead = Prefetch(source(), depth=3)
    it = iter(ahead)
    assert next(it) == 0
    time.sleep(0.3)
    assert len(made) <= 1 + 3 + 2  # the consumed one, the queue, one waiting to be queued (and one being made)
    ahead.close()
    assert closed.wait(2) and len(made) < 10
