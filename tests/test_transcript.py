"""A transcript drives the mouth (lipglance.inference.speech.transcript): the held-out voice (flite slt) speaks a
sentence
full of p, b and m; its words are force-aligned to the audio, the shape renderer follows them; bad input."""

from __future__ import annotations

import sys
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from lipglance import dub_stream
from lipglance.cli import main
from lipglance.errors import UserError
from lipglance.inference.model.lipsync import LipSync
from lipglance.inference.speech.transcript import LEAD, aligned_phones
from lipglance.io.audio import load_audio, resample
from lipglance.shape import CLOSED, WIDE, frame_classes, opening_of
from lipglance.synth.articulation import BILABIAL
from lipglance.synth.phonemes import CANON, VOWELS
from lipglance.synth.tts import SAMPLE_RATE, Speech, synthesize

TEXT = "Bob made a map of the palm."


@pytest.fixture(scope="module")
def said() -> Speech:
    return synthesize(TEXT, "flite-slt")


@pytest.fixture(scope="module")
def wav(said: Speech, tmp_path_factory: pytest.TempPathFactory) -> Path:
    import soundfile

    path = tmp_path_factory.mktemp("speech") / "bob.wav"
    soundfile.write(path, said.wave, SAMPLE_RATE, subtype="PCM_16")
    return path


def _bilabials(phones: list) -> list:
    return [p for p in phones if p.canon in BILABIAL]


@pytest.mark.parametrize("rate", [16000, 22050])
def test_aligned_bilabials_fall_on_the_synthesizers_own(said: Speech, rate: int) -> None:
    audio = said.wave if rate == SAMPLE_RATE else resample(said.wave, SAMPLE_RATE, rate)
    phones = aligned_phones(audio, rate, TEXT)
    assert all(p.canon in CANON for p in phones) and phones[0].canon == "sil"
    got, want = _bilabials(phones), _bilabials(said.phones)
    assert [p.canon for p in got] == [p.canon for p in want] == ["b", "b", "m", "m", "p", "p", "m"]
    for g, w in zip(got, want, strict=True):
        assert abs(g.start - w.start) <= 0.04 and abs(g.end - w.end) <= 0.04, (g, w)


def test_transcript_shapes_seal_the_lips_on_p_b_m_and_open_them_on_vowels(said: Speech, model: LipSync) -> None:
    shapes = model.transcript_shapes(said.wave, TEXT)
    n = model.frame_count(len(said.wave))
    assert shapes.shape == (n, 20, 2)
    opening = opening_of(shapes)
    classes = frame_classes({"meta": {"lead": LEAD, "phones": [[p.canon, p.start, p.end] for p in said.phones]}}, n)
    assert (classes == "bilabial").sum() >= 7
    assert (opening[classes == "bilabial"] < CLOSED).all()
    vowels = [p for p in said.phones if p.canon in VOWELS and p.end - p.start >= 0.08]  # aa, ey, ae, aa
    assert len(vowels) == 4
    mids = [int(((p.start + p.end) / 2 - LEAD) * 25) for p in vowels]
    assert (opening[mids] > WIDE).all(), opening[mids]


def test_generate_with_a_transcript_renders_the_aligned_shapes(said: Speech, model: LipSync,
                                                               astronaut_png: Path) -> None:
    from lipglance.inference.render.shape import ShapeWarp

    photo = np.asarray(Image.open(astronaut_png).convert("RGB"))
    lips = model.generate(said.wave, photo, lips_only=True, transcript=TEXT)
    warp = model.prepare_warp(photo, 0, ShapeWarp)
    assert isinstance(warp, ShapeWarp)
    shapes, tongues = model.transcript_cues(said.wave, TEXT)
    assert np.array_equal(shapes, model.transcript_shapes(said.wave, TEXT))
    want = np.stack([warp.lips(f) for f in warp.tuned().frames(shapes, model.fps, tongues)])
    assert np.array_equal(lips, want)
    head = model.generate(said.wave, photo, lips_only=True)
    assert not np.array_equal(lips, head)


def test_cli_transcript_writes_a_real_mp4_of_the_aligned_mouth(wav: Path, astronaut_png: Path, tmp_path: Path,
                                                                model: LipSync) -> None:
    out, text = tmp_path / "bob.mp4", tmp_path / "bob.txt"
    text.write_text("\ufeff" + TEXT.upper() + "\n", encoding="utf-8")  # a BOM and capitals: read as the words
    assert main(["generate", "--audio", str(wav), "--image", str(astronaut_png), "-o", str(out),
                 "--transcript-file", str(text), "--lips-only"]) == 0
    with av.open(str(out)) as c:
        frames = np.stack([f.to_ndarray(format="rgb24") for f in c.decode(video=0)]).astype(np.float64)
    audio = load_audio(wav, 16000)
    assert len(frames) == -(-len(audio) // 640) and frames.shape[1:] == (64, 64, 3)
    # The decoded mouth is the transcript's (H.264 noise aside), not the shape head's.
    photo = np.asarray(Image.open(astronaut_png).convert("RGB"))
    aligned = model.generate(audio, photo, lips_only=True, transcript=TEXT)
    head = model.generate(audio, photo, lips_only=True)
    differ = np.abs(aligned.astype(np.float64) - head).max(-1) > 40  # where the two mouths part
    assert differ.sum() > 500
    near, far = np.abs(frames - aligned)[differ].mean(), np.abs(frames - head)[differ].mean()
    assert near < 0.5 * far, (near, far)


@pytest.mark.parametrize("case", ["empty", "oov", "mismatch", "warp_renderer", "network_renderer", "both",
                                  "not_utf8", "with_batch"])
def test_bad_transcript_gives_one_line_and_exit_2(case: str, wav: Path, astronaut_png: Path, tmp_path: Path,
                                                  capfd: pytest.CaptureFixture[str]) -> None:
    """capfd: pocketsphinx's own C logging, written to file descriptor 2, would be a second line."""
    out = tmp_path / "o.mp4"
    extra = {"empty": ["--transcript", " ... \n"], "oov": ["--transcript", "bob made a zorblaxx of the palm"],
             "mismatch": ["--transcript", "the quick brown fox jumps over the lazy dog again and again"],
             "warp_renderer": ["--transcript", TEXT, "--renderer", "warp"],
             "network_renderer": ["--transcript", TEXT, "--renderer", "network"],
             "both": ["--transcript", TEXT, "--transcript-file", str(tmp_path / "t.txt")],
             "not_utf8": ["--transcript-file", str(tmp_path / "t.txt")],
             "with_batch": ["--transcript", TEXT, "--batch", str(tmp_path / "jobs.csv")]}[case]
    (tmp_path / "t.txt").write_bytes("Bob made a map of the p\u00e2lm".encode("latin-1"))
    args = ["generate", "--image", str(astronaut_png), "--audio", str(wav), "-o", str(out), *extra]
    if case == "with_batch":
        args = ["generate", *extra]
    code = main(args)
    err = capfd.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "Traceback" not in err[0], err
    expect = {"empty": "empty", "oov": "dictionary lacks: zorblaxx", "mismatch": "could not be aligned",
              "warp_renderer": "shape renderer", "network_renderer": "shape renderer", "both": "give one",
              "not_utf8": "UTF-8",
              "with_batch": "not with --batch"}[case]
    assert expect in err[0], err
    assert not out.exists() and not list(tmp_path.glob(".o.mp4*"))


def test_without_pocketsphinx_the_api_names_the_install(said: Speech, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pocketsphinx", None)  # import pocketsphinx now raises ImportError
    with pytest.raises(UserError, match=r"pip install 'lipglance\[transcript\]'"):
        aligned_phones(said.wave, SAMPLE_RATE, TEXT)


def _openings(frames: list[np.ndarray]) -> np.ndarray:
    """dlib's inner-lip opening (points 62-66) of each frame's face, in mouth widths (48-54)."""
    from lipglance.face import detect_faces, landmarks

    points = [landmarks(f, detect_faces(f)[0]) for f in frames]
    return np.array([np.linalg.norm(p[62] - p[66]) / np.linalg.norm(p[48] - p[54]) for p in points])


def test_dub_with_a_transcript_seals_the_videos_lips_on_p_b_m(said: Speech, wav: Path, tmp_path: Path,
                                                               model: LipSync) -> None:
    """`lipglance generate --video --transcript`: dlib reads the dubbed mp4's lips shut on the sentence's p/b/m
    frames (the shape head alone leaves some of them open) and open on its vowels."""
    import skimage.data

    from lipglance.io.video import write_video
    from lipglance.shape import frame_classes

    video, out = tmp_path / "still.mp4", tmp_path / "dubbed.mp4"
    write_video(video, [np.ascontiguousarray(skimage.data.astronaut()[:320, 80:400])] * 20, 25, None, 16000, "mp4",
                crf=18)
    assert main(["generate", "--audio", str(wav), "--video", str(video), "-o", str(out), "--transcript", TEXT]) == 0
    with av.open(str(out)) as c:
        dubbed = _openings([f.to_ndarray(format="rgb24") for f in c.decode(video=0)])
    head = _openings(list(dub_stream(model, said.wave, video)))
    n = model.frame_count(len(said.wave))
    classes = frame_classes({"meta": {"lead": LEAD, "phones": [[p.canon, p.start, p.end] for p in said.phones]}}, n)
    seal = classes == "bilabial"
    assert len(dubbed) == len(head) == n and seal.sum() >= 7
    assert np.median(dubbed[seal]) < 0.035 and dubbed[seal].max() < 0.06, dubbed[seal]  # dlib's noise on shut lips
    assert (head[seal] > 0.06).sum() > (dubbed[seal] > 0.06).sum(), head[seal]
    assert np.percentile(dubbed, 90) > 0.15


def test_demo_page_takes_a_transcript(said: Speech, wav: Path, astronaut_png: Path, tmp_path: Path,
                                      model: LipSync) -> None:
    from lipglance.inference.cli.demo import lip_strip, synthesize
    from lipglance.inference.cli.dub_demo import dub_video

    photo = np.asarray(Image.open(astronaut_png).convert("RGB"))
    path, strip, _ = synthesize(model, str(wav), photo, out_dir=str(tmp_path), transcript=TEXT)
    assert np.array_equal(strip, lip_strip(list(model.generate(said.wave, photo, lips_only=True, transcript=TEXT))))
    blank = synthesize(model, str(wav), photo, out_dir=str(tmp_path), transcript="  \n")[1]
    assert np.array_equal(blank, lip_strip(list(model.generate(said.wave, photo, lips_only=True))))
    with pytest.raises(UserError, match="dictionary lacks: zorblaxx"):
        dub_video(model, str(wav), path, out_dir=str(tmp_path), transcript="bob made a zorblaxx")
    assert len(list(tmp_path.glob("*.mp4"))) == 2


def test_words_that_are_not_said_are_refused_from_the_alignments_score(sample_wav: Path, astronaut_png: Path,
                                                                       model: LipSync, tmp_path: Path,
                                                                       capfd: pytest.CaptureFixture[str]) -> None:
    from lipglance.samples import SAMPLE_WORDS

    speech = load_audio(sample_wav, 16000)
    for wrong in ("hello world", "lip movements at a glance", "bob made a map of the palm"):
        with pytest.raises(UserError, match="the transcript does not match the speech: pocketsphinx hears") as e:
            aligned_phones(speech, 16000, wrong)
        assert "lip movements at a glance" in str(e.value) and "\n" not in str(e.value)
    assert aligned_phones(speech, 16000, SAMPLE_WORDS)[-2].canon == "s"  # "... glance": accepted
    out = tmp_path / "o.mp4"
    code = main(["generate", "--audio", str(sample_wav), "--image", str(astronaut_png), "-o", str(out),
                 "--transcript", "hello world"])
    err = capfd.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "does not match the speech" in err[0] and not out.exists(), err
    with pytest.raises(UserError, match="does not match the speech"):
        model.generate(speech, astronaut_png, transcript="hello world")


def test_the_samples_words_are_written_where_a_user_looks(capsys: pytest.CaptureFixture[str]) -> None:
    from lipglance.samples import SAMPLE_WORDS

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert f'--sample -o out.mp4 --transcript "{SAMPLE_WORDS}"' in readme
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert f'its words: "{SAMPLE_WORDS}"' in out and f'--transcript "{SAMPLE_WORDS}"' in out


CARDS = Path("/usr/share/pocketsphinx/test/data/cards")  # Debian pocketsphinx-testdata (make setup installs it)


@pytest.mark.parametrize("name, words", [("004", "five five"),
                                         ("005", "eight of spades four of clubs seven of hearts")])
def test_pauses_in_recorded_speech_close_the_mouth(name: str, words: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from lipglance.inference.speech import transcript
    from lipglance.shape import CLOSED
    from lipglance.synth import align
    from lipglance.synth.pauses import pauses

    assert CARDS.is_dir(), "apt-get install pocketsphinx-testdata (make setup does, as root)"
    speech = load_audio(CARDS / f"{name}.wav", 16000)
    n = len(speech) // 640
    inner = [(a, b) for a, b in pauses(speech, 16000) if a > 0.1 and b < len(speech) / 16000 - 0.1 and b - a >= 0.15]
    frames = [i for i in range(n) if any(a + 0.04 <= (i + 0.5) / 25 + LEAD <= b - 0.04 for a, b in inner)]
    assert inner and frames, "the recording has pauses between its words"
    opening = opening_of(transcript.transcript_shapes(aligned_phones(speech, 16000, words), n))
    assert (opening[frames] <= CLOSED).all(), opening[frames]
    monkeypatch.setattr(align, "with_pauses", lambda phones, spans: phones)  # the aligner's phones alone
    alone = opening_of(transcript.transcript_shapes(aligned_phones(speech, 16000, words), n))
    assert (alone[frames] > CLOSED).any()  # they stretch a word over the pause: the mouth would stay open
