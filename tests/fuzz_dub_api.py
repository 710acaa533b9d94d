"""Fuzz cases for dubbing (`lipglance generate --video`) and the Python API (issue 28).

Dubbing cases are `fuzz_corpus.Case`s (argv for `lipglance generate`, same contract). API cases call
`LipSync` in the test process: each ends in a return value or in the package's own `UserError` with a
one-line message, with nothing on stderr (fd 2, so PyAV's and FFmpeg's own writes count) and nothing
left in the case's folder.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from fuzz_corpus import RATE, UNDECODABLE_WAVS, Case, _args, _speech, write_wav
from PIL import Image

from lipglance import dub, dub_stream

PLAIN_PYTHON_IGNORES = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)


@contextlib.contextmanager
def captured_stderr() -> Iterator[io.StringIO]:
    """Everything written to fds 1 and 2 (C libraries included) and to sys.stderr, and the Python warnings a
    plain interpreter would print, gathered into the yielded buffer once the block ends."""
    import sys

    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    py_err, shown = io.StringIO(), io.StringIO()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            warnings.catch_warnings(record=True) as seen:
        warnings.resetwarnings()  # the filters of a plain interpreter
        for category in PLAIN_PYTHON_IGNORES:
            warnings.filterwarnings("ignore", category=category)
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        try:
            with contextlib.redirect_stderr(py_err), contextlib.redirect_stdout(io.StringIO()):
                yield shown
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            err.seek(0)
            shown.write(err.read().decode("utf-8", "replace") + py_err.getvalue() + "".join(
                f"{w.filename}:{w.lineno}: {w.category.__name__}: {w.message}\n" for w in seen))


# ---------------------------------------------------------------- assets


def face_video(assets: Path) -> Path:
    """A 16-frame 256x256 video of the astronaut's face (shifting 2 px a frame) with 0.64 s of tone, made once."""
    from lipglance.io.video import write_video

    path = assets / "face_video.mp4"
    if not path.exists():
        face = np.asarray(Image.open(assets / "face.png").convert("RGB"))
        frames = [np.roll(face, 2 * k, axis=1) for k in range(16)]
        write_video(path, frames, 25, _speech(0.64), RATE)
    return path


def faceless_video(assets: Path) -> Path:
    """A 50-frame grey gradient video (no face anywhere), made once."""
    from lipglance.io.video import write_video

    path = assets / "faceless_video.mp4"
    if not path.exists():
        ramp = np.tile(np.linspace(40, 200, 128, dtype=np.uint8)[None, :, None], (96, 1, 3))
        write_video(path, [np.roll(ramp, k, axis=1) for k in range(50)], 25, None)
    return path


def _write(name: str, folder: Path) -> Path:
    """The audio file of a named bad input in `folder`."""
    ext = name.split("_")[-1] if name.startswith("empty_") else "wav"
    path = folder / f"in.{ext}"
    if name in UNDECODABLE_WAVS:
        path.write_bytes(UNDECODABLE_WAVS[name])
    elif name.startswith("empty_"):
        path.write_bytes(b"")
    else:
        write_wav(path, np.zeros(int(name.split("_")[0])), RATE)
    return path


BAD_AUDIO = [*UNDECODABLE_WAVS, "empty_mp3", "empty_flac", "1_sample", "639_samples"]


# ---------------------------------------------------------------- dubbing through the CLI


def dub_cases() -> list[Case]:
    cases = [Case("dub_ok", lambda d, a: ["--audio", str(a / "speech.wav"), "--video", str(face_video(a)), "-o",
                                          str(d / "out.mp4")], "ok", True),
             Case("dub_faceless_video", lambda d, a: ["--audio", str(a / "speech.wav"), "--video",
                                                      str(faceless_video(a)), "-o", str(d / "out.mp4")], "error",
                  True)]
    for name in BAD_AUDIO:
        cases.append(Case(f"dub_{name}", lambda d, a, n=name: ["--audio", str(_write(n, d)), "--video",
                                                               str(face_video(a)), "-o", str(d / "out.mp4")],
                          "error", fast=name in ("wav_tag_ffff", "empty_mp3", "1_sample")))
    return cases


def generate_cases() -> list[Case]:
    """Sub-frame audio through `lipglance generate` (the rule the API now shares)."""
    return [Case(f"generate_{n}", lambda d, a, n=n: _args(_write(n, d), a / "lips.png", d / "out.mp4"), "error",
                 fast=n == "639_samples") for n in ("639_samples",)]


# ---------------------------------------------------------------- the Python API


@dataclass
class ApiCase:
    name: str
    call: Callable[[Any, Path, Path], object]  # (LipSync, case folder, assets folder) -> anything
    expect: str = "error"  # "ok", "error"
    fast: bool = False


def _samples(name: str) -> np.ndarray:
    return np.zeros(int(name.split("_")[0]), np.float32)


def api_cases() -> list[ApiCase]:
    cases: list[ApiCase] = []
    for name in BAD_AUDIO:
        def audio(d: Path, n: str = name) -> object:
            return _samples(n) if n[0].isdigit() else _write(n, d)
        fast = name in ("wav_tag_ffff", "empty_flac", "1_sample")
        cases.append(ApiCase(f"api_generate_{name}", lambda m, d, a, f=audio: m.generate(f(d), a / "lips.png"),
                             fast=fast))
        cases.append(ApiCase(f"api_dub_{name}", lambda m, d, a, f=audio: dub(m, f(d), face_video(a), d / "o.mp4"),
                             fast=fast))
    for n in (1, 639):  # sub-frame samples through every entry point
        cases.append(ApiCase(f"api_stream_{n}_samples", lambda m, d, a, n=n: m.stream(np.zeros(n), a / "lips.png"),
                             fast=n == 1))
        cases.append(ApiCase(f"api_dub_stream_{n}_samples", lambda m, d, a, n=n: dub_stream(
            m, np.zeros(n), face_video(a))))
    cases += [
        ApiCase("api_generate_640_samples", lambda m, d, a: m.generate(np.zeros(640, np.float32), a / "lips.png"),
                "ok", True),
        ApiCase("api_generate_48k_1900_samples", lambda m, d, a: m.generate(np.zeros(1900), a / "lips.png",
                                                                              sample_rate=48000)),
        # A faceless video is refused when dub_stream is called, before any frame is asked for (issue 28, 5).
        ApiCase("api_dub_stream_faceless_video", lambda m, d, a: dub_stream(m, _speech(2.0), faceless_video(a)),
                fast=True),
        ApiCase("api_dub_faceless_video", lambda m, d, a: dub(m, _speech(0.5), faceless_video(a), d / "o.mp4")),
        ApiCase("api_dub_ok", lambda m, d, a: dub(m, a / "speech.wav", face_video(a), d / "o.mp4"), "ok", True),
    ]
    return cases


def listing(folder: Path) -> set[str]:
    """Every path under `folder` (hidden ones included), relative."""
    out = set()
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            out.add(os.path.relpath(os.path.join(dirpath, name), folder))
    return out


def check_api_case(case: ApiCase, model: Any, folder: Path, assets: Path) -> str:
    """Run one API case: "ok" (it returned) or "error" (UserError, one line, nothing written); else it fails."""
    from lipglance.errors import UserError

    face_video(assets), faceless_video(assets)  # made before, not by the call
    error: UserError | None = None
    with captured_stderr() as err:
        try:
            case.call(model, folder, assets)
        except UserError as e:
            error = e
    assert err.getvalue() == "", err.getvalue()[-2000:]
    if error is None:
        assert case.expect == "ok", f"{case.name}: expected UserError, it returned"
        return "ok"
    assert "\n" not in str(error) and str(error), repr(str(error))
    assert case.expect == "error", f"{case.name}: expected success, got {error}"
    left = {p for p in listing(folder) if not p.startswith("in.")}  # the case's input file is not output
    assert not left, sorted(left)
    return "error"
