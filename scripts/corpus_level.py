#!/usr/bin/env python
"""Measure the active-speech level of the synthetic training corpus
(lipglance.inference.speech.loudness.TRAINING_LEVEL_DBFS).

Synthesises the audio of the first training clips of the corpus plan that scripts/train_default.sh uses
(seed 0), exactly as `lipglance synth` does (lipglance.synth.clip.make_clip), and prints each clip's active level
and their median:  .venv/bin/python scripts/corpus_level.py [CLIPS]
"""

from __future__ import annotations

import sys

import numpy as np

from lipglance.inference.speech.loudness import TRAINING_LEVEL_DBFS, active_level
from lipglance.synth.appearance import Identity
from lipglance.synth.clip import make_clip
from lipglance.synth.corpus.shards import plan
from lipglance.synth.tts import SAMPLE_RATE


def main() -> int:
    want = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    levels = []
    for job in plan(0, 300, 12):
        if job.split != "train":
            continue
        ident = Identity.sample(job.identity_seed)
        for c in job.clips:
            clip = make_clip(ident, c.voice, c.text, c.clip_seed, size=32)
            level = active_level(clip.wave, SAMPLE_RATE)
            if level is not None:
                levels.append(level)
                print(f"{c.voice:>12}  {level:6.1f} dBFS  {c.text}")
        if len(levels) >= want:
            break
    a = np.array(levels)
    print(f"{len(a)} clips: median {np.median(a):.1f} dBFS, quartiles {np.percentile(a, 25):.1f} .. "
          f"{np.percentile(a, 75):.1f} "
          f"(lipglance.inference.speech.loudness.TRAINING_LEVEL_DBFS = {TRAINING_LEVEL_DBFS})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
