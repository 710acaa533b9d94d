"""The tongue (lipglance.inference.render.tongue): cues from known phones, and on a real photo speaking recorded
speech through the transcript path, the tongue's tip drawn on th/dh frames (between the teeth) and never on closed
ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lipglance.inference.model.lipsync import LipSync
from lipglance.inference.render.shape import ShapeWarp
from lipglance.inference.render.tongue import Tongue, cues, tongue_colour
from lipglance.inference.speech.transcript import LEAD, aligned_phones
from lipglance.io.audio import load_audio
from lipglance.io.image import read_image
from lipglance.samples import sample_photos
from lipglance.shape import CLOSED, opening_of
from lipglance.synth.tts import Phone

RECORDING = Path("/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0870.wav")
WORDS = ("and mister john dashwood had then leisure to consider how much there might be prudently in his power to "
         "do for them")  # then, there, them: dh; leisure: l (Debian pocketsphinx-testdata's transcription)


def test_cues_follow_the_phones() -> None:
    phones = [Phone("sil", "sil", 0.0, 0.3), Phone("th", "th", 0.3, 0.42), Phone("aa", "aa", 0.42, 0.7),
              Phone("l", "l", 0.7, 0.82), Phone("sil", "sil", 0.82, 1.2)]
    got = cues(phones, 30, 25.0, LEAD)
    t = (np.arange(30) + 0.5) / 25 + LEAD
    between, raised = np.array([c.between for c in got]), np.array([c.raised for c in got])
    assert between[np.abs(t - 0.36) < 0.02].min() == 1.0 and raised[np.abs(t - 0.36) < 0.02].max() == 0.0
    assert raised[np.abs(t - 0.76) < 0.02].min() == 1.0 and between[np.abs(t - 0.76) < 0.02].max() == 0.0
    far = (t < 0.25) | ((t > 0.5) & (t < 0.64)) | (t > 0.9)
    assert not between[far].any() and not raised[far].any()


@pytest.fixture(scope="module")
def spoken(model: LipSync) -> tuple[ShapeWarp, np.ndarray, list[np.ndarray], np.ndarray, list[Tongue]]:
    """Grace Hopper (a closed mouth: drawn teeth) saying the recording through the transcript path."""
    assert RECORDING.is_file(), "apt-get install pocketsphinx-testdata (make setup does, as root)"
    photo = read_image(str(next(p for p in sample_photos() if p.stem == "grace_hopper")))
    wave = load_audio(RECORDING, model.sample_rate)
    frames = list(model.stream(wave, photo, transcript=WORDS, still=True))
    shapes, tongues = model.transcript_cues(wave, WORDS)
    warp = model.prepare_warp(photo, 0, ShapeWarp)
    assert isinstance(warp, ShapeWarp)
    return warp, photo, frames, shapes, tongues


def test_th_frames_show_the_tongue_tip_and_closed_frames_do_not(
        spoken: tuple[ShapeWarp, np.ndarray, list[np.ndarray], np.ndarray, list[Tongue]], model: LipSync) -> None:
    warp, photo, frames, shapes, tongues = spoken
    wave = load_audio(RECORDING, model.sample_rate)
    phones = aligned_phones(wave, model.sample_rate, WORDS)
    assert sum(p.canon == "dh" for p in phones) >= 3  # then, there, them
    opening = opening_of(shapes)
    between = np.array([c.between for c in tongues])
    th = np.flatnonzero((between >= 0.8) & (opening > 2 * CLOSED))
    closed = np.flatnonzero(opening <= CLOSED)
    assert len(th) >= 2 and len(closed) >= 5, (len(th), len(closed))
    plain = list(warp.frames(shapes[:len(frames)], model.fps))  # the same shapes, no tongue cue
    colour = tongue_colour(warp.look.lip)
    x0, y0, x1, y1 = warp.roi

    def tongue_pixels(k: int) -> int:
        """Pixels of frame k that the cue changed to a tongue's colour (its hue, not the cavity's dark or teeth)."""
        a, b = frames[k][y0:y1, x0:x1].astype(np.float64), plain[k][y0:y1, x0:x1].astype(np.float64)
        changed = np.abs(a - b).max(-1) > 20
        scale = a @ colour / max(float(colour @ colour), 1.0)
        like = (np.linalg.norm(a - scale[..., None] * colour, axis=-1) < 25) & (scale > 0.5) & (scale < 1.1)
        return int((changed & like).sum())

    on_th = [tongue_pixels(k) for k in th]
    assert min(on_th) > 0 and np.median(on_th) >= 0.5 * warp.width, on_th  # a tip a third of the mouth wide
    assert all(tongue_pixels(k) == 0 for k in closed)
    assert all(np.array_equal(frames[k], plain[k]) for k in closed)  # closed lips: the cue draws nothing


def test_dubbing_with_a_transcript_draws_the_tip_on_th(model: LipSync, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A still video of Grace Hopper (a closed mouth: nothing of her own to lend, the inside is drawn) dubbed with
    the recording and its words: th frames differ from the same dub without tongue cues, closed frames do not."""
    from lipglance.inference.video.dub import dub_stream
    from lipglance.io.video import write_video

    photo = read_image(str(next(p for p in sample_photos() if p.stem == "grace_hopper")))
    video = tmp_path / "still.mp4"
    write_video(video, [np.ascontiguousarray(photo[:512, :600])] * 20, 25, None, 16000, "mp4", crf=18)
    wave = load_audio(RECORDING, model.sample_rate)
    shapes, tongues = model.transcript_cues(wave, WORDS)
    with_cues = list(dub_stream(model, wave, video, transcript=WORDS))
    monkeypatch.setattr(model, "transcript_cues", lambda audio, words: (shapes, [Tongue()] * len(tongues)))
    without = list(dub_stream(model, wave, video, transcript=WORDS))
    opening = opening_of(shapes)
    th = [k for k, c in enumerate(tongues) if c.between >= 0.8 and opening[k] > 2 * CLOSED]
    closed = np.flatnonzero(opening <= CLOSED)
    assert len(th) >= 2 and len(closed) >= 5
    changed = [int((np.abs(with_cues[k].astype(int) - without[k].astype(int)).max(-1) > 20).sum()) for k in th]
    assert min(changed) > 0 and np.median(changed) >= 20, changed
    assert all(np.array_equal(with_cues[k], without[k]) for k in closed)
