"""A contact sheet: one row per identity, frames of one clip across the row."""

from __future__ import annotations

import cv2
import numpy as np

from lipglance.synth.appearance import Identity
from lipglance.synth.clip import make_clip
from lipglance.synth.corpus.shards import derive_seed
from lipglance.synth.tts import TRAIN_VOICES


def contact_sheet(seed: int, identities: int = 12, frames: int = 10, zoom: int = 2) -> np.ndarray:
    """RGB uint8 image: identities x frames of 64x64 crops, enlarged `zoom` times."""
    rows = []
    for k in range(identities):
        ident = Identity.sample(derive_seed(seed, "identity", k))
        clip = make_clip(ident, TRAIN_VOICES[k % len(TRAIN_VOICES)], "bin blue at F two now please",
                         derive_seed(seed, "preview", k))
        idx = np.linspace(0, len(clip.frames) - 1, frames).round().astype(int)
        rows.append(np.hstack([clip.frames[i] for i in idx]))
    sheet = np.vstack(rows)
    return cv2.resize(sheet, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_NEAREST)
