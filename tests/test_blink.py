"""Blinks move only the eyelids (lipglance.inference.render.blink): on real photos, Grace Hopper's glasses and the
astronaut's brows stay where they are; an eye whose lid skin a rim crosses does not blink."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from lipglance.face import landmarks
from lipglance.inference.faces.find import find_faces
from lipglance.inference.render.living import LivingFace, Move
from lipglance.io.image import read_image
from lipglance.samples import sample_photos

SHUT = Move(1.0, 0.0, 0.0, 0.0)  # lids closed, no head motion


@pytest.fixture(scope="module")
def faces() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    out = {}
    for path in sample_photos():
        photo = read_image(str(path))
        out[path.stem] = (photo, find_faces(photo)[0][0].points)
    return out


def eye_mask(points: np.ndarray, shape: tuple[int, ...], grow: float) -> np.ndarray:
    """Pixels of both eye openings (dlib's 36-41, 42-47), each grown by `grow` eye widths."""
    mask = np.zeros(shape[:2], np.uint8)
    for eye in (points[36:42], points[42:48]):
        cv2.fillPoly(mask, [np.round(eye).astype(np.int32)], 1)
        width = float(np.linalg.norm(eye[3] - eye[0]))
        k = max(int(round(grow * width)), 0)
        if k:
            mask |= cv2.dilate(mask, np.ones((2 * k + 1, 2 * k + 1), np.uint8))
    return mask > 0


def test_glasses_stay_put_while_the_eyes_shut(faces: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    photo, points = faces["grace_hopper"]
    living = LivingFace.for_face(points, photo)
    assert len(living.eyes) == 2  # she blinks, inside her glasses
    shut = photo.copy()
    for eye in living.eyes:
        eye.apply(shut, 1.0)
    changed = np.abs(shut.astype(int) - photo.astype(int)).max(-1) > 0
    grey = cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY)
    near = eye_mask(points, photo.shape, 0.6) & ~eye_mask(points, photo.shape, 0.05)
    dark = (near & (grey < 60)).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    width = float(np.linalg.norm(points[39] - points[36]))
    long = [k for k in range(1, count) if stats[k, cv2.CC_STAT_WIDTH] > 1.5 * width]
    rim = np.isin(labels, long)  # the dark frame of her glasses, running past the eyes
    assert rim.sum() > 200
    assert not (changed & rim).any(), f"{(changed & rim).sum()} pixels of the glasses moved"
    assert not (changed & ~eye_mask(points, photo.shape, 0.35)).any()  # nothing beyond the lids
    assert changed[eye_mask(points, photo.shape, 0.0)].mean() > 0.5  # the eyes themselves did close


def test_the_astronaut_still_blinks_and_keeps_her_brows(faces: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    photo, points = faces["astronaut"]
    living = LivingFace.for_face(points, photo)
    assert len(living.eyes) == 2
    shut = living.apply(photo.copy(), SHUT)
    changed = np.abs(shut.astype(int) - photo.astype(int)).max(-1) > 0
    brows = np.zeros(photo.shape[:2], np.uint8)
    for brow in (points[17:22], points[22:27]):
        cv2.polylines(brows, [np.round(brow).astype(np.int32)], False, 1, thickness=3)
    assert not changed[brows > 0].any()
    box = find_faces(photo)[0][0].box
    before, after = landmarks(photo, box), landmarks(shut, box)

    def opening(p: np.ndarray) -> float:
        return float(np.mean([np.linalg.norm(p[a] - p[b]) for a, b in ((37, 41), (38, 40), (43, 47), (44, 46))]))

    assert opening(after) < 0.6 * opening(before), (opening(before), opening(after))


def test_an_eye_a_rim_crosses_does_not_blink(faces: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    photo, points = faces["astronaut"]
    framed = photo.copy()
    for eye in (points[36:42], points[42:48]):  # a thick dark rim just above the upper lid of each eye
        width = float(np.linalg.norm(eye[3] - eye[0]))
        y = int(round(eye[[1, 2], 1].min() - 0.3 * width))
        x0, x1 = int(eye[0, 0] - 0.3 * width), int(eye[3, 0] + 0.3 * width)
        cv2.line(framed, (x0, y), (x1, y), (25, 20, 20), thickness=max(2, int(0.12 * width)))
    living = LivingFace.for_face(points, framed)
    assert living.eyes == ()
    assert np.array_equal(living.apply(framed.copy(), SHUT), framed)
