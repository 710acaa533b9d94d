"""Shared by the results scripts: rows of frames with a name on the left."""

from __future__ import annotations

import cv2
import numpy as np


def label(rows: list[np.ndarray], names: list[str], width: int = 260) -> np.ndarray:
    """Stack RGB rows [H, W, 3] vertically, each with its name written on a white margin."""
    out = []
    for row, name in zip(rows, names, strict=True):
        pad = np.full((row.shape[0], width, 3), 255, np.uint8)
        cv2.putText(pad, name, (6, row.shape[0] // 2 + 5), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
        out.append(np.concatenate([pad, row], axis=1))
    return np.concatenate(out, axis=0)
