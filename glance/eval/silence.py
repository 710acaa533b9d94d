"""Lips in silence: does the generator close the mouth on silent audio, whatever the identity frame shows?

Per test clip of a synthetic cache: the identity is the clip's most open frame (and, as a check
that silence does not open a closed mouth, its most closed one); the audio is digital silence.
dlib's inner-lip opening (points 62-66) on the generated frames is compared with the gap dlib finds
on the clip's own closed frames (ground-truth opening ~0) and on the open identity frame:
closure = (gap_open - gap_silent) / (gap_open - gap_closed), 1 = closed as the truth, 0 = as open
as the identity.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glance.data.cache import Cache
from glance.eval.landmarks import crop_mouth_landmarks
from glance.inference import LipSync

CLOSED = 0.05  # ground-truth inner-lip opening (crop px) under which a synthetic frame counts as closed


def inner_gap(frame: np.ndarray) -> float:
    """dlib inner-lip opening (distance of points 62 and 66 of 68) of a uint8 lip crop, in crop pixels;
    NaN if dlib finds no mouth."""
    pts = crop_mouth_landmarks(np.ascontiguousarray(frame))
    return float("nan") if pts is None else float(np.linalg.norm(pts[14] - pts[18]))


def _median_gap(frames: np.ndarray) -> float:
    gaps = [inner_gap(f) for f in frames]
    ok = [g for g in gaps if g == g]
    return float(np.median(ok)) if ok else float("nan")


def silence_closure(model: LipSync, cache: Cache, split: str = "test", limit: int = 6,
                    seconds: float = 2.0) -> list[dict[str, Any]]:
    """One row per clip (`limit` clips spread over the split): reference gaps, silent gaps, closure."""
    items = [it for it in cache.split(split) if "opening" in it.get("meta", {})]
    picks = [items[int(i)] for i in np.linspace(0, len(items) - 1, min(limit, len(items))).round()]
    silence = np.zeros(int(seconds * model.sample_rate), np.float32)
    rows = []
    for item in picks:
        crops = np.asarray(cache.crops(item))
        opening = np.asarray(item["meta"]["opening"], float)[:len(crops)]
        open_i = int(np.argmax(opening))
        closed = np.flatnonzero(opening < CLOSED)
        if len(closed) == 0:
            continue
        ref_open = inner_gap(crops[open_i])
        ref_closed = _median_gap(crops[closed[:: max(1, len(closed) // 8)]])
        row: dict[str, Any] = {"video": item["id"], "gap_open": ref_open, "gap_closed": ref_closed}
        for name, idx in (("open", open_i), ("closed", int(closed[len(closed) // 2]))):
            frames = np.stack(list(model.stream_lips(silence, np.ascontiguousarray(crops[idx]))))
            row[f"silent_from_{name}"] = _median_gap(frames[8::4])
        span = ref_open - ref_closed
        row["closure"] = (ref_open - row["silent_from_open"]) / span if span > 0 else float("nan")
        rows.append(row)
    return rows


def closure_summary(rows: list[dict[str, Any]]) -> dict[str, tuple[float, float]]:
    """Mean +- std closure over clips, and (share of clips with closure >= 0.7, number of clips)."""
    c = np.array([r["closure"] for r in rows], float)
    c = c[c == c]
    if not len(c):
        return {}
    return {"silence_closure": (float(c.mean()), float(c.std())),
            "silence_closed_share": (float((c >= 0.7).mean()), float(len(c)))}
