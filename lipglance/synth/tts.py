"""Speech with phoneme timing from Debian's TTS engines (espeak-ng + mbrola, flite, RHVoice) and neural Kokoro.

mbrola renders exactly the durations of the phoneme file we give it, so speaking-rate and
pitch changes are edits of that file; flite reports the end time of every phoneme it renders.
RHVoice (statistical parametric voices of recorded speakers, more natural than diphones) reports
no timing: its phones come from forced alignment of the known text (pocketsphinx, as a transcript's), and so do
those of the neural Kokoro-82M voices (lipglance.synth.neural_tts, an optional install).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lipglance.errors import UserError
from lipglance.levels import frame_levels
from lipglance.synth.neural_tts import KOKORO_VOICES
from lipglance.synth.phone import Phone
from lipglance.synth.phonemes import canonical

MBROLA_DIR = Path("/usr/share/mbrola")
SAMPLE_RATE = 16000
TRAIN_VOICES = ("mbrola-us1", "mbrola-us2", "mbrola-us3", "mbrola-en1", "flite-kal16", "flite-awb", "flite-rms")
HELDOUT_VOICES = ("flite-slt",)
# English spoken by mbrola's German, French, Swedish, Polish, Dutch and Hungarian voices (espeak-ng's
# mb-XX-en): six female and five male accented speakers that widen the training voices (`--voices wide`).
# (hu1 was left out: its phone boundaries scatter +-20 ms around the audio's onsets.)
ACCENTED_VOICES = tuple(f"mbrola-{v}-en" for v in (
    "de1", "de3", "de5", "fr4", "sw2", "pl1", "de2", "de6", "fr1", "nl2", "sw1"))
# RHVoice's English voices (Debian non-free rhvoice-english): alan (Scottish), bdl (American), clb (American
# female), and English spoken by evgeniy-eng and lyubov (Russian male and female). Its slt is held out.
RHVOICE_VOICES = tuple(f"rhvoice-{v}" for v in ("alan", "bdl", "clb", "evgeniy-eng", "lyubov"))
RHVOICE_DIR = Path("/usr/share/RHVoice/voices")
ALIGN_RETRY = (1.0, 0.93, 1.07)  # speaking-rate factors tried in turn when an alignment fails
PHRASE_GAP = 0.15  # s: the pause between the halves of a sentence the aligner could not place whole
# Words the TTS is given that the aligner's dictionary spells otherwise (GRID's letter a, lipglance.synth.text.spoken)
ALIGN_SPELLING = {"eigh": "a"}
EDGE_FRAME = 0.01  # s: the frames `quiet_edges` reads levels of
EDGE_DB = 40.0  # dB under the loudest 10 ms: the quiet start and end of an aligned recording (`quiet_edges`)
EDGE_MIN = 0.02  # s: the least edge silence, and the least of its phone left, that `quiet_edges` splits off
VOICE_SETS = {"standard": TRAIN_VOICES, "wide": TRAIN_VOICES + ACCENTED_VOICES,
              "natural": TRAIN_VOICES + ACCENTED_VOICES + RHVOICE_VOICES,
              "neural": TRAIN_VOICES + ACCENTED_VOICES + RHVOICE_VOICES + KOKORO_VOICES}
# Measured acoustic-onset lag of a voice's phone boundaries (its diphone labels sit early);
# tests/test_synth_speech.py checks the corrected timing against the audio.
TIMING_OFFSET = {"mbrola-us3": 0.022, "mbrola-de2-en": 0.010, "mbrola-de6-en": 0.012, "mbrola-sw1-en": 0.015}
# flite's mean pitch per voice (Hz), scaled by the pitch factor.
FLITE_F0 = {"kal16": 105.0, "awb": 110.0, "rms": 100.0, "slt": 170.0}


@dataclass
class Speech:
    wave: np.ndarray  # float32 mono at SAMPLE_RATE
    phones: list[Phone]

    @property
    def duration(self) -> float:
        return len(self.wave) / SAMPLE_RATE


def _need(tool: str, package: str) -> None:
    if shutil.which(tool) is None:
        raise UserError(f"'{tool}' is not installed: run `make setup` as root, or `apt-get install {package}`")


def check_voices(voices: tuple[str, ...] | list[str]) -> None:
    """Fail with the exact install command when an engine or voice is missing."""
    for voice in voices:
        engine, name = voice.split("-", 1)
        if engine == "mbrola":
            _need("espeak-ng", "espeak-ng")
            _need("mbrola", "mbrola (Debian contrib)")
            base = name.split("-")[0]
            if not (MBROLA_DIR / base / base).is_file():
                raise UserError(f"mbrola voice {base} is missing: `apt-get install mbrola-{base}` "
                                "(Debian non-free; `make setup` as root enables it)")
        elif engine == "flite":
            _need("flite", "flite")
        elif engine == "rhvoice":
            _need("RHVoice-test", "rhvoice")
            if not (RHVOICE_DIR / name).is_dir():
                raise UserError(f"RHVoice voice {name} is missing: `apt-get install rhvoice-english` "
                                "(Debian non-free; `make setup` as root enables it)")
        elif engine == "kokoro":
            from lipglance.synth import neural_tts

            neural_tts.check(name)
        else:
            raise UserError(f"unknown voice {voice!r} (engines: mbrola-*, flite-*, rhvoice-*, kokoro-*)")


def _read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise RuntimeError(f"{path}: expected 16-bit mono audio from the TTS engine")
        rate = w.getframerate()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
    if rate != SAMPLE_RATE:  # some mbrola databases (de3, de5, de6, fr4) speak at 22.05 kHz
        from scipy.signal import resample_poly

        g = np.gcd(rate, SAMPLE_RATE)
        data = resample_poly(data, SAMPLE_RATE // g, rate // g).astype(np.float32)
    return data.copy()


def _run(cmd: list[str]) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}): {proc.stderr.strip()[:300]}")
    return proc.stdout


def _mbrola(text: str, name: str, rate: float, pitch: float, tmp: Path) -> Speech:
    pho = _run(["espeak-ng", "-v", f"mb-{name}", "-q", "--pho", text])
    # Start from silence so the first diphone is _-X, as after a pause in running speech.
    lines, phones, t = ["_ 50"], [Phone("_", "sil", 0.0, 0.05)], 0.05
    for raw in pho.splitlines():
        parts = raw.split()
        if len(parts) < 2:
            continue
        sym, dur = parts[0], max(1, round(int(parts[1]) / rate))
        points = [f"{parts[i]} {float(parts[i + 1]) * pitch:.0f}" for i in range(2, len(parts) - 1, 2)]
        lines.append(" ".join([sym, str(dur), *points]))
        phones.append(Phone(sym, canonical(sym, "mbrola"), t, t + dur / 1000))
        t += dur / 1000
    (tmp / "in.pho").write_text("\n".join(lines) + "\n")
    base = name.split("-")[0]  # "de5-en": the de5 database speaking espeak-ng's English
    _run(["mbrola", "-e", str(MBROLA_DIR / base / base), str(tmp / "in.pho"), str(tmp / "out.wav")])
    return Speech(_read_wav(tmp / "out.wav"), phones)


def _flite(text: str, name: str, rate: float, pitch: float, tmp: Path) -> Speech:
    out = _run(["flite", "-voice", name, "--setf", f"duration_stretch={1 / rate:.4f}",
                "--setf", f"int_f0_target_mean={FLITE_F0.get(name, 110.0) * pitch:.1f}",
                "-psdur", "-t", text, "-o", str(tmp / "out.wav")])
    phones, t = [], 0.0
    for token in out.split():
        sym, _, end = token.rpartition(":")
        if not sym:
            continue
        phones.append(Phone(sym, canonical(sym, "flite"), t, float(end)))
        t = float(end)
    return Speech(_read_wav(tmp / "out.wav"), phones)


def _rhvoice(text: str, name: str, rate: float, pitch: float, tmp: Path) -> np.ndarray:
    """RHVoice's wave of `text`."""
    (tmp / "in.txt").write_text(text + "\n")
    _run(["RHVoice-test", "-p", name, "-r", f"{100 * rate:.0f}", "-t", f"{100 * pitch:.0f}",
          "-i", str(tmp / "in.txt"), "-o", str(tmp / "out.wav")])
    return _read_wav(tmp / "out.wav")


def _aligned(text: str, voice: str, render: Callable[[str, float], np.ndarray]) -> Speech:
    """The speech `render(text, rate factor)` makes, its phones force-aligned; where the aligner fails at every rate
    of ALIGN_RETRY, the two halves of `text` spoken apart with a short pause between them (a phrase break),
    recursively down to single words."""
    try:
        return _aligned_whole(text, voice, render)
    except RuntimeError:
        words = text.split()
        if len(words) < 2:
            raise
    half = len(words) // 2
    first, second = (_aligned(" ".join(part), voice, render) for part in (words[:half], words[half:]))
    gap = np.zeros(round(PHRASE_GAP * SAMPLE_RATE), np.float32)
    shift = (len(first.wave) + len(gap)) / SAMPLE_RATE
    pause = Phone("SIL", "sil", first.duration, shift)
    later = [Phone(p.symbol, p.canon, p.start + shift, p.end + shift) for p in second.phones]
    return Speech(np.concatenate([first.wave, gap, second.wave]), [*first.phones, pause, *later])


def _aligned_whole(text: str, voice: str, render: Callable[[str, float], np.ndarray]) -> Speech:
    from lipglance.synth.align import aligned_phones

    said = " ".join(ALIGN_SPELLING.get(w, w) for w in text.split())
    failure = None
    for retry in ALIGN_RETRY:  # the aligner loses ~1% of sentences: the same words a little slower or faster
        wave = render(text, retry)
        try:
            return Speech(wave, quiet_edges(wave, aligned_phones(wave, SAMPLE_RATE, said, check=False)))
        except UserError as e:
            failure = e
    raise RuntimeError(f"{voice}: {failure} ({text!r})")


def quiet_edges(wave: np.ndarray, phones: list[Phone], below_db: float = EDGE_DB) -> list[Phone]:
    """Aligned `phones` with the recording's quiet start and end (10 ms frames `below_db` under its loudest)
    made silences: a forced aligner gives the short silence before the first word to the first phone. The last
    phone also runs to the audio's end (the aligner stops at its last whole frame)."""
    level = frame_levels(wave, SAMPLE_RATE, EDGE_FRAME)
    loud = np.flatnonzero(level > level.max() - below_db)
    out = list(phones)
    if not out or len(loud) == 0:
        return out
    onset, offset = float(loud[0]) * EDGE_FRAME, float(loud[-1] + 1) * EDGE_FRAME
    end = len(wave) / SAMPLE_RATE
    first = out[0]
    if first.canon != "sil" and first.start + EDGE_MIN <= onset <= first.end - EDGE_MIN:
        out[:1] = [Phone("SIL", "sil", first.start, onset), Phone(first.symbol, first.canon, onset, first.end)]
    last = out[-1]
    if last.canon != "sil" and last.start + EDGE_MIN <= offset <= end - EDGE_MIN:
        out[-1:] = [Phone(last.symbol, last.canon, last.start, offset), Phone("SIL", "sil", offset, end)]
    else:
        out[-1] = Phone(last.symbol, last.canon, last.start, max(last.end, end))
    return out


def synthesize(text: str, voice: str, rate: float = 1.0, pitch: float = 1.0) -> Speech:
    """Speak `text` with `voice` ("mbrola-us1", "flite-awb", ...) at a speaking-rate and pitch factor."""
    engine, name = voice.split("-", 1)
    with tempfile.TemporaryDirectory(prefix="lipglance-tts-") as d:
        if engine == "mbrola":
            speech = _mbrola(text, name, rate, pitch, Path(d))
        elif engine == "flite":
            speech = _flite(text, name, rate, pitch, Path(d))
        elif engine == "rhvoice":
            tmp = Path(d)
            speech = _aligned(text, voice, lambda t, r: _rhvoice(t, name, rate * r, pitch, tmp))
        elif engine == "kokoro":
            from lipglance.synth.neural_tts import kokoro_wave

            speech = _aligned(text, voice, lambda t, r: kokoro_wave(t, name, rate * r, pitch, SAMPLE_RATE))
        else:
            raise UserError(f"unknown voice {voice!r}")
    shift = TIMING_OFFSET.get(voice, 0.0)
    if shift:
        phones = [Phone(p.symbol, p.canon, p.start + shift if i else p.start, p.end + shift)
                  for i, p in enumerate(speech.phones)]
        phones[-1] = Phone(phones[-1].symbol, phones[-1].canon, phones[-1].start, speech.phones[-1].end)
        speech = Speech(speech.wave, phones)
    # Diphone voices (kal16) stop rendering halfway into the final pause: pad that silence back.
    end = speech.phones[-1].end if speech.phones else 0.0
    last = speech.phones[-1] if speech.phones else None
    gap = end - speech.duration
    if last is not None and last.canon == "sil" and 0 < gap <= last.end - last.start + 0.005:
        pad = np.zeros(round(end * SAMPLE_RATE) - len(speech.wave), np.float32)
        speech = Speech(np.concatenate([speech.wave, pad]), speech.phones)
    if abs(end - speech.duration) > 0.02:
        raise RuntimeError(f"{voice}: phoneme timing ({end:.3f} s) disagrees with the audio "
                           f"({speech.duration:.3f} s) for {text!r}")
    return speech
