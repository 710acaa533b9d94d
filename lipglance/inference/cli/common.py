"""What the inference commands share: the model and the photo loaded as `lipglance generate` loads them, the
numeric options checked, one video made, and a SIGTERM that unwinds like Ctrl-C.

Imported by `lipglance generate` (lipglance.inference.cli.generate), its `--batch` (batch_jobs) and `--video`
(dub) paths, the demo page and `lipglance live`; it imports none of them.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from collections.abc import Callable, Iterator
from types import FrameType
from typing import TYPE_CHECKING, Any

import numpy as np

from lipglance.errors import Terminated, UserError
from lipglance.inference.cli.progress import progress
from lipglance.inference.cli.retime import MAX_FPS, MIN_FPS, retime, retimed_count
from lipglance.inference.model.inputs import check_duration
from lipglance.io.audio import AudioReadError, load_audio
from lipglance.io.image import read_image
from lipglance.io.outputs import SPEECH, FramesFolder, OutputFile, shown, write_video
from lipglance.io.video import in_writer_callback

if TYPE_CHECKING:  # torch loads with it: imported when generating, not for --help
    from lipglance.inference.model.lipsync import LipSync

MAX_SIZE = 1920  # px, a photo's longer side: beyond it the video only grows (a 4000x3000 photo: 1.5 GB in memory)


def add_motion_arguments(p: argparse.ArgumentParser) -> None:
    """--amplitude and --keep-expression (the shape renderer's; `lipglance generate` and `lipglance live`)."""
    p.add_argument("--amplitude", type=float, default=1.0,
                   help="scale the mouth's and jaw's movement (shape renderer; default 1: calibrated to speech, "
                        "docs/DESIGN.md; 0 still lips .. 3)")
    p.add_argument("--keep-expression", action="store_true",
                   help="a grinning photo keeps its grin while it speaks (default: the grin relaxes toward a "
                        "speaking mouth during speech and returns in silence)")


def load_model(weights: str | None, device: str, backend: str = "torch") -> LipSync:
    from lipglance.inference.model.lipsync import DEFAULT_WEIGHTS, LipSync

    if backend == "onnx":
        if device != "cpu":
            raise UserError("--backend onnx runs on the CPU: drop --device cuda")
        from lipglance.inference.onnx.backend import onnx_model

        return onnx_model(weights)
    if weights is not None and weights.lower().endswith(".onnx"):
        raise UserError(f"--weights {weights}: an ONNX export runs with --backend onnx")
    if weights is not None or DEFAULT_WEIGHTS.is_file():
        return LipSync.from_pretrained(weights, device=device)
    print("lipglance generate: WARNING: no trained model is bundled yet; using an UNTRAINED tiny model "
          "(the lips will not follow the speech)", file=sys.stderr)
    return LipSync.untrained("tiny")


def load_image(path: str) -> np.ndarray:
    """uint8 RGB of an image file, with the size limits of lipglance.io.image checked before decoding."""
    return read_image(path)


def check_numbers(args: argparse.Namespace) -> None:
    """--max-size, --fps, --seed and --crf in their ranges, before any work."""
    if args.max_size != 0 and args.max_size < 64:
        raise UserError(f"--max-size {args.max_size}: give at least 64 px (or 0 to keep the photo's size)")
    if args.fps is not None and not MIN_FPS <= args.fps <= MAX_FPS:
        raise UserError(f"--fps {args.fps}: give {MIN_FPS}..{MAX_FPS} frames per second")
    if args.seed < 0:
        raise UserError(f"--seed {args.seed}: give a whole number >= 0")
    if not 0 <= args.crf <= 51:
        raise UserError(f"--crf {args.crf}: H.264 quality runs from 0 (lossless) to 51 (worst)")


def fit_photo(image: np.ndarray, max_size: int) -> tuple[np.ndarray, float]:
    """(the image scaled down to `max_size` px on its longer side, the scale); 0 or a smaller image: as it is."""
    longer = max(image.shape[:2])
    if max_size == 0 or longer <= max_size:
        return image, 1.0
    import cv2

    scale = max_size / longer
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), scale


def prepare_image(path: str, max_size: int, box: tuple[int, int, int, int] | None
                  ) -> tuple[np.ndarray, tuple[int, int, int, int] | None]:
    """The image scaled by --max-size, and --box scaled with it (the box is in the photo's own pixels)."""
    image, scale = fit_photo(load_image(path), max_size)
    if box is not None and scale != 1.0:
        box = (round(box[0] * scale), round(box[1] * scale), max(1, round(box[2] * scale)),
               max(1, round(box[3] * scale)))
    return image, box


def make_video(model: LipSync, args: argparse.Namespace, audio_path: str, image: np.ndarray,
               box: tuple[int, int, int, int] | None, out: OutputFile, frames_dir: FramesFolder | None = None,
               bar: bool = True) -> tuple[int, int]:
    """One video: speech file + a prepared image -> `out` (committed), under the other options of `args`;
    shared by a single `lipglance generate` and each job of `--batch`. Returns (frames, fps)."""
    try:
        audio = load_audio(audio_path, model.sample_rate)
    except AudioReadError as e:
        raise UserError(f"{e}: {SPEECH}") from None
    check_duration(audio, model.sample_rate, model.fps, shown(audio_path))
    fps = args.fps or model.fps
    n = retimed_count(model.frame_count(len(audio)), model.fps, fps)
    frames: Iterator[np.ndarray] = model.stream(audio, image, face_index=args.face_index, lips_only=args.lips_only,
                                                close_mouth=not args.keep_mouth, renderer=args.renderer,
                                                box=box, still=args.still, seed=args.seed,
                                                transcript=getattr(args, "transcript_text", None),
                                                amplitude=getattr(args, "amplitude", 1.0),
                                                keep_expression=getattr(args, "keep_expression", False))
    frames = retime(frames, model.frame_count(len(audio)), model.fps, fps)
    if frames_dir is not None:
        frames = frames_dir.save(frames)
    if bar:
        frames = progress(frames, n)
    frames = stop_when_signalled(frames)
    # The input's own sound.
    write_video(out, lambda path: model.save(path, frames, audio_path, model.sample_rate, fps, args.crf))
    return n, fps


_signalled: list[int] = []  # SIGTERMs and SIGINTs received during this run


def _raised(signum: int) -> KeyboardInterrupt:
    return KeyboardInterrupt() if signum == signal.SIGINT else Terminated(signum)


def _stop(signum: int, frame: FrameType | None) -> None:
    _signalled.append(signum)
    if not in_writer_callback(frame):  # there PyAV would swallow it: the frame loop raises it instead
        raise _raised(signum)


def stop_when_signalled(frames: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    """`frames`, stopped before the next frame once a SIGTERM (Terminated) or SIGINT (KeyboardInterrupt) came: a
    signal that lands inside the video writer's callback (PyAV's file object) is only noted there (PyAV would
    swallow the exception and print it), so the frame loop raises it."""
    for frame in frames:
        if _signalled:
            raise _raised(_signalled[-1])
        yield frame


@contextlib.contextmanager
def sigterm_unwinds() -> Iterator[None]:
    """Within it a SIGTERM raises Terminated, which unwinds like Ctrl-C (every temp file removed), and a SIGINT is
    remembered as well as raised (see `stop_when_signalled`); the handlers and the unraisable hook are restored
    after."""
    _signalled.clear()
    old = {s: signal.signal(s, _stop) for s in (signal.SIGTERM, signal.SIGINT)}
    old_hook = sys.unraisablehook
    sys.unraisablehook = _unraisable(old_hook)
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
        sys.unraisablehook = old_hook


def _unraisable(hook: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """sys.unraisablehook that stays silent about a signal's exception swallowed in a C callback (re-raised
    above)."""
    def quiet(info: Any) -> Any:
        return None if isinstance(info.exc_value, KeyboardInterrupt) else hook(info)
    return quiet
