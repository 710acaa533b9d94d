"""The pause gate (lipglance.inference.speech.pause_gate): recorded speech's own pauses close the mouth on the
audio-only path, through the real pipeline and an mp4 round trip; stops inside words are left to the shape head;
live closes the same pauses from the past and its lookahead."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import numpy as np
import pytest

from lipglance import dub
from lipglance.face import detect_faces, landmarks
from lipglance.inference.live.stream import LiveShapes
from lipglance.inference.model.lipsync import LipSync
from lipglance.inference.speech.pause_gate import EASE, LEAD, pause_spans, pause_weights, quiet_below
from lipglance.inference.speech.transcript import aligned_phones
from lipglance.io.audio import load_audio
from lipglance.io.decode import iter_frames
from lipglance.io.image import read_image
from lipglance.io.video import write_video
from lipglance.levels import frame_levels
from lipglance.samples import sample_photos
from lipglance.shape import CLOSED, inner_opening, mouth_width, opening_of

CARDS = Path("/usr/share/pocketsphinx/test/data/cards")  # Debian pocketsphinx-testdata (make setup installs it)
STOPS = {"p", "b", "t", "d", "k", "g"}


def _card(name: str) -> np.ndarray:
    assert CARDS.is_dir(), "apt-get install pocketsphinx-testdata (make setup does, as root)"
    return load_audio(CARDS / f"{name}.wav", 16000)


def _frame_times(n: int) -> np.ndarray:
    return (np.arange(n) + 0.5) / 25 + LEAD


def _pause_frames(speech: np.ndarray) -> np.ndarray:
    """Frames of "five five" (cards/004) that show its pause between the words, by the transcript path's timings
    (lipglance.inference.speech.transcript): the silence between the two words, at least EASE inside it."""
    phones = aligned_phones(speech, 16000, "five five")
    words = [p for p in phones if p.canon != "sil"]
    gaps = [(a.end, b.start) for a, b in zip(words, words[1:], strict=False) if b.start - a.end >= 0.15 and a.end > 0.3]
    assert len(gaps) == 1, gaps
    (a, b), t = gaps[0], _frame_times(len(speech) // 640)
    return np.flatnonzero((t >= a + EASE - 1e-6) & (t <= b - EASE + 1e-6))


def test_the_pause_between_two_words_is_closed_and_the_head_alone_left_it_open(model: LipSync) -> None:
    speech = _card("004")
    frames = _pause_frames(speech)
    gated = opening_of(np.stack(list(model.stream_shapes(speech))))
    alone = opening_of(np.stack(list(dataclasses.replace(model, pause=False).stream_shapes(speech))))
    assert len(frames) >= 2 and (gated[frames] == 0).all(), gated[frames]
    assert (alone[frames] > CLOSED).any(), alone[frames]  # the head draws the pause open: what the gate is for
    untouched = pause_weights(speech, 16000, len(gated), 25) == 0
    assert untouched.sum() >= 15 and np.array_equal(gated[untouched], alone[untouched])  # the words: the head's


def test_stops_inside_words_are_left_to_the_head(model: LipSync) -> None:
    """No frame inside a stop (p b t d k g) of a word is touched, on every card recording: their closures are
    quiet but shorter than a pause."""
    words = {"001": "ten of clubs", "002": "four queen of clubs", "003": "seven of clubs", "004": "five five",
             "005": "eight of spades four of clubs seven of hearts"}
    inside = 0
    for name, text in words.items():
        speech = _card(name)
        n = model.frame_count(len(speech))
        weights, t = pause_weights(speech, 16000, n, 25), _frame_times(n)
        phones = aligned_phones(speech, 16000, text)
        for before, stop, after in zip(phones, phones[1:], phones[2:], strict=False):
            if stop.canon in STOPS and "sil" not in (before.canon, after.canon):
                hit = (t >= stop.start) & (t < stop.end)
                inside += int(hit.sum())
                assert (weights[hit] == 0).all(), (name, stop)
    assert inside >= 10, inside


def test_a_short_quiet_gap_is_no_pause() -> None:
    """Two bursts of tone 0.12 s apart (a stop's closure) keep the mouth as drawn; 0.4 s apart they close it."""
    rate, tone = 16000, 0.3 * np.sin(np.arange(8000) / 16000 * 2 * np.pi * 220).astype(np.float32)
    for gap, paused in ((0.12, False), (0.4, True)):
        audio = np.concatenate([np.zeros(4000), tone, np.zeros(int(gap * rate)), tone, np.zeros(4000)])
        levels = frame_levels(audio.astype(np.float32), rate)
        inner = [(a, b) for a, b in pause_spans(levels, quiet_below(levels)) if np.isfinite(a) and np.isfinite(b)]
        assert bool(inner) == paused, (gap, inner)


def test_the_pause_reads_closed_on_a_photo_through_an_mp4(model: LipSync) -> None:
    """The default command's frames (shape renderer) of "five five" on Grace Hopper, written as H.264 and decoded:
    dlib reads the lips closed in the pause; without the gate it reads them open there."""
    hopper = read_image(str(next(p for p in sample_photos() if p.stem == "grace_hopper")))
    speech = _card("004")
    frames = _pause_frames(speech)
    read = {}
    for pause in (True, False):
        video = dataclasses.replace(model, pause=pause).generate(speech, hopper, still=True)
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "v.mp4"
            LipSync.save(path, video, speech)
            decoded = list(iter_frames(path, 25))[:len(video)]
        box = detect_faces(decoded[0])[0]
        pts = np.stack([landmarks(f, box) for f in decoded]).astype(np.float64)[:, 48:68]
        rest = float(np.median(mouth_width(pts[:3])))  # the leading silence: the rest mouth
        read[pause] = inner_opening(pts[frames]) / rest
    assert (read[True] < 0.04).all(), read  # bench_face_motion's CLOSED (rest mouth widths)
    assert read[False].max() >= 0.04, read


def test_dubbing_closes_the_pause_too(model: LipSync, tmp_path: Path) -> None:
    """`lipglance dub` of a still video of Grace Hopper with "five five": the dubbed mp4, decoded, shows the lips
    closed in the pause; without the gate they are parted there."""
    hopper = read_image(str(next(p for p in sample_photos() if p.stem == "grace_hopper")))
    video = tmp_path / "still.mp4"
    write_video(video, [hopper] * 25, 25, crf=18)
    speech = _card("004")
    frames = _pause_frames(speech)
    read = {}
    for pause in (True, False):
        out = tmp_path / f"dub_{pause}.mp4"
        dub(dataclasses.replace(model, pause=pause), CARDS / "004.wav", video, out)
        decoded = list(iter_frames(out, 25))
        box = detect_faces(decoded[0])[0]
        pts = np.stack([landmarks(f, box) for f in decoded]).astype(np.float64)[:, 48:68]
        read[pause] = inner_opening(pts[frames]) / float(np.median(mouth_width(pts[:3])))
    assert (read[True] < 0.04).all(), read
    assert read[False].max() >= 0.04, read


@pytest.mark.parametrize("name", ["004", "005"])
def test_live_closes_the_pauses_offline_closes(model: LipSync, name: str) -> None:
    speech = _card(name)
    plain = dataclasses.replace(model, track=False)  # live decides p/b/m with the gate, not the seal track
    offline = opening_of(np.stack(list(plain.stream_shapes(speech))))
    live = LiveShapes(plain, 4)
    shapes = [s for i in range(0, len(speech), 640) for s in live.push(speech[i:i + 640])]
    online = opening_of(np.stack(shapes + live.flush()))
    weights = pause_weights(speech, 16000, len(offline), 25)
    full = np.flatnonzero(weights == 1.0)
    assert len(full) >= 5
    late = full[np.isin(full - 2, full) & (full > 15)]  # two frames into a pause after speech (the stream's
    # leading silence is not known as silence until speech has been heard: pause_gate's module doc)
    assert len(late) >= 3
    assert (online[late] == 0).all(), online[late]
    assert np.abs(online - offline)[weights == 0].mean() < 0.01
