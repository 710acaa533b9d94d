"""Lips in silence: does the generator close the mouth on silent audio, whatever the identity frame shows?

Per clip of a synthetic cache, the identity is the clip's most open frame (and, as a check that
silence does not open a closed mouth, one of its closed frames), prepared as `lipglance generate` does
(an open mouth is closed first, see lipglance.inference.render.closing; `close_mouth=False` measures the generator
alone); the audio is digital silence.
The mouth opening of the generated frames is read by `lipglance.motion.OpeningProbe`, a ridge regression
from the crop's grey mouth region to the corpus's ground-truth inner-lip opening, fitted on the training
split (dlib, made for real faces, puts the inner-lip points of a closed synthetic mouth ~7 px
apart, so it cannot tell closed from half open here; it stays the instrument for real photos).
closure = (opening of the identity - opening in silence) / (opening of the identity - opening the
probe reads on the clip's own closed frames): 1 = as closed as the truth, 0 = as open as the identity.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lipglance.data.cache import Cache
from lipglance.face import crop_mouth_landmarks
from lipglance.inference.model.lipsync import LipSync
from lipglance.motion import OpeningProbe

CLOSED = 0.05  # ground-truth inner-lip opening (crop px) under which a synthetic frame counts as closed


def inner_gap(frame: np.ndarray) -> float:
    """dlib inner-lip opening (distance of points 62 and 66 of 68) of a uint8 lip crop, in crop pixels;
    NaN if dlib finds no mouth."""
    pts = crop_mouth_landmarks(np.ascontiguousarray(frame))
    return float("nan") if pts is None else float(np.linalg.norm(pts[14] - pts[18]))


def silence_closure(model: LipSync, cache: Cache, split: str = "test", limit: int = 16, seconds: float = 2.0,
                    probe: OpeningProbe | None = None, close_mouth: bool = True,
                    landmarks: bool = False) -> list[dict[str, Any]]:
    """One row per clip (`limit` clips spread over the split): openings of the identity, of the clip's
    closed frames and of the frames generated in silence (from the first hop on), and the closure.
    The identity goes through `LipSync.prepare` as in `lipglance generate` (`close_mouth`: closed first,
    from dlib's reading of the crop, or with `landmarks` from the cache's landmarks of that frame)."""
    items = [it for it in cache.split(split) if "opening" in it.get("meta", {})]
    if not items:
        return []
    probe = probe if probe is not None else OpeningProbe.fit(cache)
    picks = [items[int(i)] for i in np.linspace(0, len(items) - 1, min(limit, len(items))).round()]
    silence = np.zeros(int(seconds * model.sample_rate), np.float32)
    rows = []
    for item in picks:
        crops = np.asarray(cache.crops(item))
        opening = np.asarray(item["meta"]["opening"], float)[:len(crops)]
        closed = np.flatnonzero(opening < CLOSED)
        if len(closed) == 0:
            continue
        open_i = int(np.argmax(opening))
        row: dict[str, Any] = {"video": item["id"], "identity": float(probe(crops[open_i:open_i + 1])[0]),
                               "closed_truth": float(probe(crops[closed]).mean())}
        for name, idx in (("open", open_i), ("closed", int(closed[len(closed) // 2]))):
            points = np.asarray(cache.landmarks(item), np.float32)[idx] if landmarks else None
            identity, _ = model.prepare(np.ascontiguousarray(crops[idx]), close_mouth=close_mouth, points=points)
            frames = np.stack(list(model.stream_lips(silence, identity)))
            row[f"silent_from_{name}"] = float(probe(frames[model.config.generator.frames // 2:]).mean())
        span = row["identity"] - row["closed_truth"]
        row["closure"] = (row["identity"] - row["silent_from_open"]) / span if span > 1.0 else float("nan")
        rows.append(row)
    return rows


def closure_summary(rows: list[dict[str, Any]]) -> dict[str, tuple[float, float]]:
    """Mean +- std closure; silent opening from an open and from a closed identity; share of clips closed
    (closure >= 0.8) with the number of clips."""
    c = np.array([r["closure"] for r in rows], float)
    c = c[c == c]
    if not len(c):
        return {}
    return {"silence_closure": (float(c.mean()), float(c.std())),
            "silence_opening": _mean_std([r["silent_from_open"] for r in rows]),
            "silence_opening_from_closed": _mean_std([r["silent_from_closed"] for r in rows]),
            "silence_closed_share": (float((c >= 0.8).mean()), float(len(c)))}


def _mean_std(values: list[float]) -> tuple[float, float]:
    return float(np.mean(values)), float(np.std(values))
