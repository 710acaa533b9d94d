"""Closing the identity's mouth before generation (lipglance/inference/render/closing.py), on real photos and crops."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from lipglance.data.cache import Cache
from lipglance.eval.silence import CLOSED
from lipglance.face import detect_faces, landmarks
from lipglance.inference.model.lipsync import LipSync
from lipglance.inference.render.closing import close_mouth
from lipglance.inference.render.lips import mouth_gap
from lipglance.inference.render.paste import paste
from lipglance.motion import OpeningProbe


def _inner_gap(photo: np.ndarray) -> float:
    """dlib's inner-lip opening (points 62-66) of the largest face in a photo, in photo pixels."""
    pts = landmarks(photo, detect_faces(photo)[0])
    return float(np.linalg.norm(pts[62] - pts[66]))


def test_an_open_smile_is_closed_and_only_the_mouth_moves(astronaut_png: Path) -> None:
    photo = np.asarray(Image.open(astronaut_png).convert("RGB"))
    model = LipSync.untrained()
    closed, target = model.prepare(photo)
    kept, _ = model.prepare(photo, close_mouth=False)
    assert target is not None and np.array_equal(kept, target.crop)
    before, after = _inner_gap(paste(target, target.crop)), _inner_gap(paste(target, closed))
    assert before > 4 and after < 0.3 * before, (before, after)
    # Columns outside the inner mouth corners and rows far above the lips are untouched.
    changed = np.abs(closed.astype(int) - target.crop.astype(int)).max(-1) > 0
    inner_x = target.points[12:20, 0]
    assert not changed[:, : int(inner_x.min())].any() and not changed[:, int(np.ceil(inner_x.max())) + 1:].any()
    assert not changed[: int(target.points[:, 1].min()) - 12].any()


def test_a_real_lip_crop_closes_like_the_whole_face(astronaut_png: Path) -> None:
    """Given only the lip crop, dlib reads the crop itself; the result matches the whole-face path."""
    photo = np.asarray(Image.open(astronaut_png).convert("RGB"))
    model = LipSync.from_pretrained()
    from_face, target = model.prepare(photo)
    assert target is not None
    from_crop, none = model.prepare(target.crop)
    assert none is None and np.abs(from_crop.astype(int) - from_face.astype(int)).mean() < 3
    assert _inner_gap(paste(target, from_crop)) < 0.3 * _inner_gap(paste(target, target.crop))


def test_synthetic_open_mouths_close_like_the_clips_own_closed_frames(cache_dir: Path) -> None:
    """With the corpus's own landmarks, the probe reads the warped frame about as closed as the truth;
    a closed frame comes back unchanged."""
    cache = Cache(cache_dir)
    probe = OpeningProbe.fit(cache)
    shut = []
    for item in cache.split("test"):
        crops, points = np.asarray(cache.crops(item)), np.asarray(cache.landmarks(item), np.float32)
        opening = np.asarray(item["meta"]["opening"])[: len(crops)]
        closed = np.flatnonzero(opening < CLOSED)
        i = int(np.argmax(opening))
        if not len(closed) or opening[i] < 6:
            continue
        truth, ident = probe(crops[closed]).mean(), probe(crops[i : i + 1])[0]
        shut_crop = close_mouth(crops[i], points[i])
        assert np.array_equal(LipSync.untrained().prepare(crops[i], points=points[i])[0], shut_crop)
        warped = probe(shut_crop[None])[0]
        shut.append((ident - warped) / (ident - truth))
        j = int(closed[len(closed) // 2])
        if mouth_gap(points[j], np.arange(64.0))[2].max() < 1.0:
            assert np.array_equal(close_mouth(crops[j], points[j]), crops[j])
    assert len(shut) >= 3 and np.median(shut) > 0.7, shut
