"""Small torch work on one thread while the frames' consumer uses the cores.

Whole-recording shape inference runs a few milliseconds of torch per batch of windows, interleaved with drawing
the frames, while the H.264 encoder (or the caller) works on the other core. With torch's default of one
intra-op thread per core, each of those small calls wakes a second OpenMP thread that then spins waiting for work,
taking that core from the encoder: 512x512 photo end to end ran at 112-138 frames/s with 2 threads and 180-211
with 1 on the same loaded 2-core machine (docs/BENCHMARKS.md, "Generation, end to end"). torch's thread count is
per calling thread (an OpenMP setting), so `one_thread` sets it around each item and restores it before yielding:
the caller's own setting is untouched between items and in its other threads.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

import torch

T = TypeVar("T")


def one_thread(items: Iterable[T]) -> Iterator[T]:
    """`items`, each one produced with torch on a single intra-op thread of the calling thread."""
    it = iter(items)
    while True:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            item = next(it)
        except StopIteration:
            return
        finally:
            torch.set_num_threads(threads)
        yield item
