"""`lipglance generate`: speech + one lip or face image -> lip-synced mp4."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable, Iterator
from types import FrameType
from typing import TYPE_CHECKING, Any

import numpy as np

from lipglance.errors import Terminated, UserError
from lipglance.inference.cli import batch_jobs
from lipglance.inference.cli.progress import progress
from lipglance.inference.cli.retime import MAX_FPS, MIN_FPS, retime, retimed_count
from lipglance.inference.model.inputs import check_duration
from lipglance.inference.render.renderers import RENDERERS
from lipglance.io.audio import AudioReadError, load_audio
from lipglance.io.image import read_image
from lipglance.io.outputs import SPEECH, FramesFolder, OutputFile, shown, video_outputs, write_video

if TYPE_CHECKING:  # torch loads with it: imported when generating, not for --help
    from lipglance.inference.model.lipsync import LipSync

MAX_SIZE = 1920  # px, a photo's longer side: beyond it the video only grows (a 4000x3000 photo: 1.5 GB in memory)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="speech + a photo (--image), a video to dub (--video) or a CSV of "
                       "jobs (--batch) -> mp4")
    p.add_argument("--audio", help="speech: wav, mp3, flac, ogg, m4a or a video's audio track")
    p.add_argument("--image", help="a lip crop or a photo with a face")
    p.add_argument("--video", help="dub a video instead of animating a photo: its mouth re-rendered to --audio in "
                                   "every frame (lipglance.inference.video.dub); written at 25 frames/s (or --fps)")
    p.add_argument("-o", "--output", help="output mp4")
    p.add_argument("--weights", help="generator checkpoint (default: the bundled model)")
    p.add_argument("--lips-only", action="store_true",
                   help="write the 64x64 lip video (the mouth crop) instead of the whole photo")
    p.add_argument("--frames", help="also write every output frame as PNG into this folder")
    p.add_argument("--renderer", default="auto", choices=RENDERERS,
                   help="shape: move the photo's own lips to the mouth shapes the generator's shape head predicts "
                        "(width, rounding, each lip, jaw); warp: open and close them by the generator's motion "
                        "probe; network: paste the generator's lips; auto (default): shape (or warp, for a model "
                        "without a shape head) for a photo, network for a lip crop")
    p.add_argument("--keep-mouth", action="store_true",
                   help="network renderer: use the image's mouth as it is (default: close an open mouth first)")
    p.add_argument("--transcript", metavar="TEXT",
                   help="the words spoken (English): the mouth follows their phones, force-aligned to the speech, "
                        "and seals on every p, b and m (shape renderer, photo or --video; needs pocketsphinx: "
                        "pip install 'lipglance[transcript]'; the whole audio is held in memory)")
    p.add_argument("--transcript-file", metavar="PATH", help="--transcript read from a UTF-8 text file")
    p.add_argument("--still", action="store_true",
                   help="a photo: move only the mouth (default: the face also blinks and sways a little with the "
                        "speech, lipglance.inference.render.living)")
    p.add_argument("--seed", type=int, default=0, help="draws the blinks' times and the sway (default 0)")
    p.add_argument("--face-index", type=int, default=0,
                   help="which face (0 = largest; `lipglance faces IMAGE` lists them with a numbered preview)")
    p.add_argument("--box", metavar="X,Y,W,H", help="the face to animate, by hand: its box in pixels")
    p.add_argument("--max-size", type=int, default=MAX_SIZE, metavar="PX",
                   help=f"scale a photo down to at most PX pixels on its longer side first (default {MAX_SIZE}; "
                        "0 keeps its size)")
    p.add_argument("--fps", type=int, help=f"frames per second of the video (default: the model's, 25; "
                                           f"{MIN_FPS}..{MAX_FPS})")
    p.add_argument("--crf", type=int, default=18, help="H.264 quality: 0 lossless .. 51 worst (default 18)")
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    p.add_argument("--backend", default="torch", choices=("torch", "onnx"),
                   help="run the networks in PyTorch (default) or in onnxruntime on the CPU; with onnx, --weights "
                        "may be an .onnx file `lipglance export --onnx` wrote (a checkpoint is exported on the fly)")
    batch_jobs.add_arguments(p)
    p.set_defaults(func=run)


def load_model(weights: str | None, device: str, backend: str = "torch") -> LipSync:
    from lipglance.inference.model.lipsync import DEFAULT_WEIGHTS, LipSync

    if backend == "onnx":
        if device != "cpu":
            raise UserError("--backend onnx runs on the CPU: drop --device cuda")
        return LipSync.from_pretrained(weights, backend="onnx")
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


def _box(text: str | None, face_index: int) -> tuple[int, int, int, int] | None:
    """--box as (x, y, w, h), or None; refused with --face-index (one picks the face, or the other)."""
    if text is None:
        return None
    if face_index != 0:
        raise UserError("--box and --face-index both pick the face: give one of them")
    from lipglance.inference.faces.find import parse_box

    try:
        return parse_box(text)
    except ValueError as e:
        raise UserError(f"--box {e}") from None


def _check_numbers(args: argparse.Namespace) -> None:
    if args.max_size != 0 and args.max_size < 64:
        raise UserError(f"--max-size {args.max_size}: give at least 64 px (or 0 to keep the photo's size)")
    if args.fps is not None and not MIN_FPS <= args.fps <= MAX_FPS:
        raise UserError(f"--fps {args.fps}: give {MIN_FPS}..{MAX_FPS} frames per second")
    if args.seed < 0:
        raise UserError(f"--seed {args.seed}: give a whole number >= 0")
    if not 0 <= args.crf <= 51:
        raise UserError(f"--crf {args.crf}: H.264 quality runs from 0 (lossless) to 51 (worst)")


def read_transcript(args: argparse.Namespace) -> str | None:
    """The text of --transcript or --transcript-file (UTF-8), checked for words; None when neither is given."""
    text, path = getattr(args, "transcript", None), getattr(args, "transcript_file", None)
    if text is not None and path is not None:
        raise UserError("--transcript and --transcript-file both give the words: give one of them")
    if path is not None:
        try:
            with open(path, encoding="utf-8-sig") as f:
                text = f.read()
        except UnicodeDecodeError:
            raise UserError(f"--transcript-file {shown(path)}: not UTF-8 text") from None
        except OSError as e:
            raise UserError(f"--transcript-file {shown(path)}: {e.strerror or e}") from None
    if text is not None:
        from lipglance.inference.speech.transcript import words_of

        words_of(text)  # an empty transcript fails here, before the model loads
    return text


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
    frames: Iterator[np.ndarray] = model.stream(audio, image, args.face_index, args.lips_only,
                                                close_mouth=not args.keep_mouth, renderer=args.renderer,
                                                box=box, still=args.still, seed=args.seed,
                                                transcript=getattr(args, "transcript_text", None))
    frames = retime(frames, model.frame_count(len(audio)), model.fps, fps)
    if frames_dir is not None:
        frames = frames_dir.save(frames)
    if bar:
        frames = progress(frames, n)
    frames = stop_when_signalled(frames)
    # The input's own sound.
    write_video(out, lambda path: model.save(path, frames, audio_path, model.sample_rate, fps, args.crf))
    return n, fps


_signalled: list[int] = []  # SIGTERMs received during this run


def _terminate(signum: int, frame: FrameType | None) -> None:
    _signalled.append(signum)
    raise Terminated(signum)


def stop_when_signalled(frames: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    """`frames`, stopped with Terminated before the next frame once a SIGTERM came: a signal that lands inside the
    video writer's callback (PyAV's file object) is swallowed there, so the frame loop raises it again."""
    for frame in frames:
        if _signalled:
            raise Terminated(_signalled[-1])
        yield frame


def _unraisable(hook: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """sys.unraisablehook that stays silent about a Terminated swallowed in a C callback (re-raised above)."""
    def quiet(info: Any) -> Any:
        return None if isinstance(info.exc_value, Terminated) else hook(info)
    return quiet


def run(args: argparse.Namespace) -> int:
    """Generate under a SIGTERM handler that unwinds like Ctrl-C, so every temp file is removed."""
    _signalled.clear()
    old, old_hook = signal.signal(signal.SIGTERM, _terminate), sys.unraisablehook
    sys.unraisablehook = _unraisable(old_hook)
    try:
        return _run(args)
    finally:
        signal.signal(signal.SIGTERM, old)
        sys.unraisablehook = old_hook


def _run(args: argparse.Namespace) -> int:
    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise UserError("--device cuda asked, but this torch sees no CUDA GPU: use --device cpu")
    if args.face_index < 0:
        raise UserError(f"--face-index {args.face_index}: faces count from 0 (the largest)")
    args.transcript_text = read_transcript(args)
    if args.transcript_text is not None and args.batch is not None:
        raise UserError("--transcript goes with one --audio (and --image or --video), not with --batch")
    if args.video is not None:
        from lipglance.inference.cli.dub import run_dub

        return run_dub(args)
    if args.batch is not None:
        _check_numbers(args)
        return batch_jobs.run_batch(args)
    missing = [flag for flag in ("--audio", "--image", "--output") if getattr(args, flag.lstrip("-")) is None]
    if missing:
        raise UserError(f"give {', '.join(missing)} (or --batch JOBS_CSV for many videos)")
    for flag in ("--workers", "--shard", "--overwrite"):
        if getattr(args, flag.lstrip("-")) not in (None, False, 1):
            raise UserError(f"{flag} goes with --batch JOBS_CSV")
    box = _box(args.box, args.face_index)
    _check_numbers(args)
    with video_outputs(args.output, args.frames) as (out, frames_dir):
        image, box = prepare_image(args.image, args.max_size, box)
        model = load_model(args.weights, args.device, args.backend)
        n, fps = make_video(model, args, args.audio, image, box, out, frames_dir)
    print(f"wrote {shown(out.path.resolve())} ({n} frames, {n / fps:.2f} s)")
    return 0
