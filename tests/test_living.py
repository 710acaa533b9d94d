"""The living photo (lipglance.inference.render.living): measured with dlib on the output frames of real photos."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from lipglance.cli import main
from lipglance.face import landmarks
from lipglance.inference.faces.find import find_faces
from lipglance.inference.render.blink import closures
from lipglance.inference.render.head import MAX_ROLL_DEG, MAX_SHIFT, motions
from lipglance.io.audio import load_audio
from lipglance.io.image import read_image
from lipglance.samples import sample_photos

SECONDS_REPEATS = 3  # the 3.3 s sample, three times: ~10 s of speech


def ear(p: np.ndarray) -> float:
    """Eye aspect ratio, both eyes averaged (Soukupova and Cech 2016)."""
    out = []
    for q in (p[36:42], p[42:48]):
        out.append((np.linalg.norm(q[1] - q[5]) + np.linalg.norm(q[2] - q[4])) / (2 * np.linalg.norm(q[0] - q[3])))
    return float(np.mean(out))


@pytest.fixture(scope="module")
def speech(sample_wav: Path) -> np.ndarray:
    return np.tile(load_audio(sample_wav, 16000), SECONDS_REPEATS)


@pytest.fixture(scope="module", params=[p.name for p in sample_photos()])
def run(request: pytest.FixtureRequest, model, speech: np.ndarray) -> dict:  # type: ignore[no-untyped-def]
    path = next(p for p in sample_photos() if p.name == request.param)
    photo = read_image(str(path))
    photo = photo[: photo.shape[0] // 2 * 2, : photo.shape[1] // 2 * 2]
    face = find_faces(photo)[0][0]
    living = model.generate(speech, photo, seed=0)
    still = model.generate(speech, photo, still=True)
    marks = {k: np.stack([landmarks(f, face.box) for f in v]) for k, v in (("living", living), ("still", still))}
    iod = float(np.linalg.norm(face.points[36:42].mean(0) - face.points[42:48].mean(0)))
    return {"photo": photo, "face": face, "living": living, "still": still, "marks": marks, "iod": iod}


def test_blinks_happen_and_recover(run: dict) -> None:
    base = ear(run["face"].points)
    ears = np.array([ear(p) for p in run["marks"]["living"]])
    shut = ears < 0.75 * base
    assert shut.any(), f"no blink in {len(ears)} frames: eye aspect ratio {ears.min():.3f}..{ears.max():.3f}, " \
                       f"photo {base:.3f}"
    ends = np.flatnonzero(shut[:-1] & ~shut[1:])
    for e in ends[ends < len(ears) - 12]:
        assert ears[e + 1:e + 12].max() > 0.9 * base, f"eyes stay shut after frame {e}"
    assert shut.mean() < 0.15  # blinks, not closed eyes
    still = np.array([ear(p) for p in run["marks"]["still"]])
    assert still.min() > 0.75 * base  # --still: no blink


def test_head_motion_small_and_present(run: dict) -> None:
    live, still = run["marks"]["living"], run["marks"]["still"]
    nose = slice(27, 36)  # neither blinks nor talks; dlib's jaw and brows jitter by pixels as the mouth moves
    moved = np.median(np.linalg.norm(live[:, nose] - still[:, nose], axis=2), axis=1)
    assert moved.max() <= max(4.0, 0.06 * run["iod"]), f"head moved {moved.max():.1f} px"
    assert moved.mean() >= 0.3, "no head motion"
    assert abs(np.mean(live[:, nose] - still[:, nose], axis=(0, 1))).max() < 1.0  # no drift


def test_still_changes_only_the_mouth(run: dict) -> None:
    photo, still = run["photo"], run["still"]
    changed = np.any(np.any(still != photo[None], axis=3), axis=0)
    ys, xs = np.nonzero(changed)
    mouth = run["face"].points[48:68]
    eyes_bottom = run["face"].points[36:48, 1].max()
    assert ys.min() > eyes_bottom, "--still changed the eyes"
    assert np.all(np.abs(xs - mouth[:, 0].mean()) < 1.5 * np.ptp(mouth[:, 0]))


def test_background_untouched(run: dict) -> None:
    photo, living, pts = run["photo"], run["living"], run["face"].points
    changed = np.any(np.any(living != photo[None], axis=3), axis=0)
    ys, xs = np.nonzero(changed)
    iod = run["iod"]
    lo, hi = pts.min(0), pts.max(0)
    assert xs.min() >= lo[0] - 1.0 * iod and xs.max() <= hi[0] + 1.0 * iod
    assert ys.min() >= lo[1] - 2.0 * iod and ys.max() <= hi[1] + 1.0 * iod
    assert changed.mean() < 0.5


def test_seeded(model, speech: np.ndarray, astronaut_png: Path) -> None:  # type: ignore[no-untyped-def]
    part = speech[: 16000 * 4]
    a = model.generate(part, astronaut_png, seed=3)
    b = model.generate(part, astronaut_png, seed=3)
    c = model.generate(part, astronaut_png, seed=4)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_blink_schedule() -> None:
    c = np.array(list(itertools.islice(closures(7, 25), 25 * 120)))
    starts = np.flatnonzero((c[1:] > 0) & (c[:-1] == 0)) + 1
    per_minute = len(starts) / 2
    assert 8 <= per_minute <= 30
    assert starts[0] < 2.6 * 25 and np.diff(starts).max() <= 6.6 * 25
    assert c.max() == 1.0  # every blink shuts the eyes for at least a frame at 25 fps
    shut = np.flatnonzero(c == 1.0)
    assert len(np.unique(np.searchsorted(starts, shut))) == len(starts)


def test_sway_bounded_speech_driven_no_drift() -> None:
    rng = np.random.default_rng(0)
    speechy = (0.1 * rng.standard_normal(16000 * 60) * (np.sin(np.arange(16000 * 60) / 16000 * 9) > 0)
               ).astype(np.float32)
    quiet = np.zeros(16000 * 60, np.float32)
    iod = 60.0
    loud = np.array(list(itertools.islice(motions(speechy, 16000, 25, 0, iod), 1500)))
    calm = np.array(list(itertools.islice(motions(quiet, 16000, 25, 0, iod), 1500)))
    assert np.abs(loud[:, 0]).max() <= np.radians(MAX_ROLL_DEG) + 1e-9
    assert np.abs(loud[:, 1:]).max() <= MAX_SHIFT * iod + 1e-9
    assert loud.std(0)[1] > 1.5 * calm.std(0)[1]  # speech moves the head more than silence
    assert abs(loud[:, 1].mean()) < 0.25 * MAX_SHIFT * iod  # sways about the pose, no drift


def test_cli_still_and_bad_seed(tmp_path: Path, sample_wav: Path, astronaut_png: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "o.mp4"
    assert main(["generate", "--audio", str(sample_wav), "--image", str(astronaut_png), "-o", str(out),
                 "--seed", "-1"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--seed" in err and not out.exists()
    frames = tmp_path / "f"
    assert main(["generate", "--audio", str(sample_wav), "--image", str(astronaut_png), "-o", str(out),
                 "--still", "--frames", str(frames)]) == 0
    pngs = sorted(frames.glob("*.png"))
    first, last = read_image(str(pngs[0])), read_image(str(pngs[-1]))
    eyes = slice(80, 120), slice(180, 270)  # the astronaut's eyes and brows
    assert np.array_equal(first[eyes], last[eyes])


def test_api_refuses_a_bad_seed(model, speech: np.ndarray, astronaut_png: Path) -> None:  # type: ignore[no-untyped-def]
    from lipglance.errors import UserError

    for seed in (-1, 1.5, True):
        with pytest.raises(UserError, match="seed"):
            model.generate(speech[:8000], astronaut_png, seed=seed)
