"""The progress bar of `lipglance generate`: started once the first frame is made, so that its first ETA is honest.

Making the first frame includes the set-up (finding the face, the first window of the network), which takes
far longer than a frame: timed from the start, the first ETA said minutes for a three-second clip. The bar
appears after that frame and estimates from the average rate since then (no smoothing over the bursts in
which windows of frames arrive).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator

import numpy as np

MIN_FRAMES = 50  # shorter videos get no bar


def progress(frames: Iterable[np.ndarray], total: int, desc: str = "generate") -> Iterator[np.ndarray]:
    it = iter(frames)
    first = next(it, None)
    if first is None:
        return
    from tqdm import tqdm

    with tqdm(total=total, initial=1, unit="frame", desc=desc, file=sys.stderr, disable=total < MIN_FRAMES,
              leave=False, smoothing=0, mininterval=0.5) as bar:
        yield first
        for frame in it:
            bar.update(1)
            yield frame
