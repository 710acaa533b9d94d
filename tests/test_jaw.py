"""The jaw and lower face (issue 25): real photos, frames read back with dlib."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from lipglance.errors import UserError
from lipglance.face import detect_faces, landmarks
from lipglance.inference.render.paste import find_face
from lipglance.inference.render.shape import AMPLITUDE, ShapeWarp, speech_opening
from lipglance.shape import opening_shape

NEUTRAL = Path("/usr/share/doc/opencv-doc/opencv4/html/12.jpg")  # Debian opencv-doc: a closed neutral mouth


def _photo(name: str) -> np.ndarray:
    if name == "astronaut":
        import skimage.data

        return np.asarray(skimage.data.astronaut())
    if name == "hopper":
        import matplotlib.cbook

        path = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
        return cv2.cvtColor(np.asarray(cv2.imread(str(path))), cv2.COLOR_BGR2RGB)
    if not NEUTRAL.is_file():
        pytest.skip("Debian's opencv-doc is not installed")
    return cv2.cvtColor(np.asarray(cv2.imread(str(NEUTRAL)))[20:468, :510], cv2.COLOR_BGR2RGB)


def _warp(name: str) -> ShapeWarp:
    warp = ShapeWarp.for_photo(find_face(_photo(name)))
    assert isinstance(warp, ShapeWarp) and warp.jaw is not None
    return warp


def _read(frames: list[np.ndarray]) -> np.ndarray:
    """dlib's 68 points [T, 68, 2] of frames of one photo (the face box found on the first)."""
    box = detect_faces(frames[0])[0]
    return np.stack([landmarks(f, box) for f in frames]).astype(np.float64)


@pytest.mark.parametrize("name", ["astronaut", "hopper", "neutral"])
def test_the_chin_drops_with_the_opening(name: str) -> None:
    warp = _warp(name)
    pts = _read([warp.frame(o) for o in (0.0, 0.12, 0.2, 0.28)])
    width = np.linalg.norm(pts[0, 0] - pts[0, 16])
    chin = np.linalg.norm(pts[:, 8] - pts[:, 33], axis=-1) / width
    opening = np.linalg.norm(pts[:, 62] - pts[:, 66], axis=-1) / width
    assert np.all(np.diff(chin) > 0.004), chin  # every step lowers the chin
    assert chin[-1] - chin[0] > 0.04, chin  # speech-sized: 0.04-0.09 face widths on open vowels
    assert np.corrcoef(chin, opening)[0, 1] > 0.9


@pytest.mark.parametrize("name", ["hopper", "neutral"])
def test_neck_collar_and_background_stay_the_photos(name: str) -> None:
    """Outside the jaw contour, grown by the most the chin can drop, every pixel is the photo's own: the chin
    covers the neck as it moves, never stretches it."""
    warp = _warp(name)
    jaw = warp.jaw
    assert jaw is not None
    face = find_face(_photo(name)).face
    assert face is not None
    frame = warp.frame(0.4)  # beyond the most the jaw drops
    near = np.zeros(frame.shape[:2], np.uint8)
    cv2.fillPoly(near, [np.round(np.concatenate([face[0:17], face[[26, 17]]])).astype(np.int32)], 255)
    reach = int(np.ceil(jaw.max_drop + 0.03 * jaw.face_width)) + 3
    near = cv2.dilate(near, np.ones((2 * reach + 1, 2 * reach + 1), np.uint8))
    x0, y0, x1, y1 = warp.roi
    near[y0:y1, x0:x1] = 255  # the mouth's own box
    far = near == 0
    assert far.sum() > 0.5 * far.size
    assert np.array_equal(frame[far], warp.image[far])
    chin = np.round(face[8]).astype(int)
    below = frame[chin[1] + reach: chin[1] + 2 * reach, chin[0] - 5: chin[0] + 5]
    assert np.array_equal(below, warp.image[chin[1] + reach: chin[1] + 2 * reach, chin[0] - 5: chin[0] + 5])
    moved = np.abs(frame.astype(int) - warp.image).sum(-1) > 0
    assert moved[chin[1] - 5: chin[1] + reach].any(), "the chin moved over the neck"


def test_amplitude_scales_the_movement() -> None:
    warp = _warp("hopper")
    shape = opening_shape(0.15)
    frames = [warp.tuned(a).frame(shape) for a in (0.0, 0.6, 1.2, 2.0)]
    pts = _read(frames)
    opening = np.linalg.norm(pts[:, 62] - pts[:, 66], axis=-1)
    chin = np.linalg.norm(pts[:, 8] - pts[:, 33], axis=-1)
    assert np.all(np.diff(opening) > 1) and np.all(np.diff(chin) > 0.5), (opening, chin)
    assert np.array_equal(frames[0], warp.frame(0.0)), "amplitude 0: still lips"
    assert warp.gain == AMPLITUDE and warp.tuned(2.0).gain == 2 * AMPLITUDE
    for bad in (-0.5, 3.5, float("nan"), "1", True):
        with pytest.raises(UserError, match="amplitude"):
            warp.tuned(bad)  # type: ignore[arg-type]


def test_calibrated_amplitude_opens_open_vowels_speech_sized() -> None:
    """AMPLITUDE is what brings the corpus articulation's open vowels to 18 mm on a 50-mm mouth (docs/DESIGN.md)."""
    from lipglance.inference.speech.transcript import transcript_shapes
    from lipglance.shape import opening_of
    from lipglance.synth.tts import Phone

    peaks = []
    for vowel in ("aa", "ae", "ah", "ao"):
        phones = [Phone("sil", "sil", 0.0, 0.3), Phone(vowel, vowel, 0.3, 0.6), Phone("sil", "sil", 0.6, 1.0)]
        peaks.append(opening_of(transcript_shapes(phones, 25)).max())
    assert speech_opening(float(np.mean(peaks)), AMPLITUDE) == pytest.approx(18 / 50, abs=0.01)


def test_a_grin_relaxes_while_speaking_and_returns_in_silence() -> None:
    from lipglance.inference.render.expression import grin_offset

    for name in ("hopper", "neutral"):
        face = find_face(_photo(name))
        assert face.face is not None and grin_offset(face.face, ShapeWarp.for_photo(face).points) is None, name
    warp = _warp("astronaut")
    assert warp.grin is not None
    shapes = [np.zeros((20, 2))] * 5 + [opening_shape(0.15)] * 25 + [np.zeros((20, 2))] * 40
    width, lift = {}, {}
    for keep in (False, True):
        frames = list(warp.tuned(keep_expression=keep).frames(shapes))
        pts = _read([frames[0], frames[29], frames[-1]])
        width[keep] = np.linalg.norm(pts[:, 48] - pts[:, 54], axis=-1)
        lift[keep] = (pts[:, 62, 1] + pts[:, 66, 1]) / 2 - (pts[:, 48, 1] + pts[:, 54, 1]) / 2  # corners above
        assert abs(width[keep][2] / width[keep][0] - 1) < 0.02 and abs(lift[keep][2] - lift[keep][0]) < 1, keep
    # While speaking, the relaxed mouth is narrower and its corners lower than the kept grin's.
    assert width[False][1] < 0.97 * width[True][1] and lift[False][1] < lift[True][1] - 1, (width, lift)


def test_dubbing_lowers_the_jaw_too() -> None:
    from lipglance.inference.video.dub_render import DubRenderer

    photo = _photo("neutral")
    face = find_face(photo)
    assert face.face is not None
    frames = [DubRenderer().frame(face.photo, face.face, opening_shape(o)) for o in (0.0, 0.2)]
    pts = _read(frames)
    chin = np.linalg.norm(pts[:, 8] - pts[:, 33], axis=-1) / np.linalg.norm(pts[0, 0] - pts[0, 16])
    assert chin[1] - chin[0] > 0.03, chin


def test_a_bad_amplitude_is_one_line_and_exit_2(tmp_path: Path, sample_wav: Path, astronaut_png: Path) -> None:
    import subprocess
    import sys

    out = tmp_path / "o.mp4"
    r = subprocess.run([sys.executable, "-m", "lipglance", "generate", "--audio", str(sample_wav), "--image",
                        str(astronaut_png), "-o", str(out), "--amplitude", "5"], capture_output=True, text=True)
    assert r.returncode == 2 and "amplitude" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not out.exists()
