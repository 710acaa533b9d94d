"""Output frame rate: frames made at the model's rate (25/s) shown at another, by blending the two nearest frames."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

MIN_FPS, MAX_FPS = 1, 120


def retimed_count(n: int, src_fps: int, dst_fps: int) -> int:
    """Frames at `dst_fps` that cover `n` frames at `src_fps` (at least 1)."""
    return max(1, -(-n * dst_fps // src_fps))


def retime(frames: Iterable[np.ndarray], n: int, src_fps: int, dst_fps: int) -> Iterator[np.ndarray]:
    """uint8 frames at `dst_fps` from `n` frames at `src_fps`: output frame k shows time k / dst_fps, blended
    linearly from the source frames either side (the last one held). Streams: holds two frames at a time."""
    if dst_fps == src_fps:
        yield from frames
        return
    it = iter(frames)
    prev = next(it, None)
    if prev is None:
        return
    nxt = next(it, None)
    index = 0  # source index of `prev`
    for k in range(retimed_count(n, src_fps, dst_fps)):
        t = k * src_fps / dst_fps  # position in source frames
        while nxt is not None and t >= index + 1:
            prev, nxt, index = nxt, next(it, None), index + 1
        w = min(max(t - index, 0.0), 1.0) if nxt is not None else 0.0
        if w < 1e-6 or nxt is None:
            yield prev
        else:
            yield np.clip(prev * (1 - w) + nxt * w + 0.5, 0, 255).astype(np.uint8)
