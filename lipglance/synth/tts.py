"""Speech with exact phoneme timing from Debian's TTS engines (espeak-ng + mbrola, flite).

mbrola renders exactly the durations of the phoneme file we give it, so speaking-rate and
pitch changes are edits of that file; flite reports the end time of every phoneme it renders.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lipglance.errors import UserError
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
VOICE_SETS = {"standard": TRAIN_VOICES, "wide": TRAIN_VOICES + ACCENTED_VOICES}
# Measured acoustic-onset lag of a voice's phone boundaries (its diphone labels sit early);
# tests/test_synth_speech.py checks the corrected timing against the audio.
TIMING_OFFSET = {"mbrola-us3": 0.022, "mbrola-de2-en": 0.010, "mbrola-de6-en": 0.012, "mbrola-sw1-en": 0.015}
# flite's mean pitch per voice (Hz), scaled by the pitch factor.
FLITE_F0 = {"kal16": 105.0, "awb": 110.0, "rms": 100.0, "slt": 170.0}


@dataclass(frozen=True)
class Phone:
    symbol: str  # as the engine wrote it
    canon: str  # normalised (lipglance.synth.phonemes.CANON)
    start: float  # seconds
    end: float


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
        else:
            raise UserError(f"unknown voice {voice!r} (engines: mbrola-*, flite-*)")


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


def synthesize(text: str, voice: str, rate: float = 1.0, pitch: float = 1.0) -> Speech:
    """Speak `text` with `voice` ("mbrola-us1", "flite-awb", ...) at a speaking-rate and pitch factor."""
    engine, name = voice.split("-", 1)
    with tempfile.TemporaryDirectory(prefix="lipglance-tts-") as d:
        if engine == "mbrola":
            speech = _mbrola(text, name, rate, pitch, Path(d))
        elif engine == "flite":
            speech = _flite(text, name, rate, pitch, Path(d))
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
