"""`lipglance generate`: speech + one lip or face image -> lip-synced mp4."""

from __future__ import annotations

import argparse

import numpy as np

from lipglance.errors import UserError
from lipglance.inference.cli import batch_jobs
from lipglance.inference.cli.common import (
    MAX_SIZE,
    add_motion_arguments,
    check_numbers,
    load_model,
    make_video,
    prepare_image,
    sigterm_unwinds,
)
from lipglance.inference.cli.retime import MAX_FPS, MIN_FPS
from lipglance.inference.render.renderers import RENDERERS
from lipglance.io.outputs import shown, video_outputs


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="speech + a photo (--image), a video to dub (--video) or a CSV of "
                       "jobs (--batch) -> mp4")
    p.add_argument("--audio", help="speech: wav, mp3, flac, ogg, m4a or a video's audio track")
    p.add_argument("--image", help="a lip crop or a photo with a face")
    p.add_argument("--video", help="dub a video instead of animating a photo: its mouth re-rendered to --audio in "
                                   "every frame (lipglance.inference.video.dub); written at 25 frames/s (or --fps)")
    p.add_argument("-o", "--output", help="output mp4")
    p.add_argument("--sample", action="store_true",
                   help="try it without files of your own: the bundled speech sample as --audio and a sample photo "
                        "(scikit-image's astronaut) as --image, where they are not given")
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
    add_motion_arguments(p)
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
                        "may be an .onnx file `lipglance export --onnx` wrote (a checkpoint is exported once, into "
                        "~/.cache/lipglance/onnx)")
    batch_jobs.add_arguments(p)
    p.set_defaults(func=run)


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


def run(args: argparse.Namespace) -> int:
    """Generate under a SIGTERM handler that unwinds like Ctrl-C, so every temp file is removed."""
    with sigterm_unwinds():
        return _run(args)


def use_samples(args: argparse.Namespace) -> None:
    """--sample: the bundled speech for a missing --audio, the astronaut photo for a missing --image."""
    from lipglance.samples import SAMPLE_WAV, sample_photos

    if args.batch is not None:
        raise UserError("--sample gives one video's audio and image: not with --batch")
    args.audio = args.audio or str(SAMPLE_WAV)
    photos = sample_photos()
    if args.image is None and args.video is None:
        if not photos:
            raise UserError("--sample: no sample photo (scikit-image's astronaut) is installed: give --image")
        args.image = str(photos[0])


def _run(args: argparse.Namespace) -> int:
    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise UserError("--device cuda asked, but this torch sees no CUDA GPU: use --device cpu")
    if args.face_index < 0:
        raise UserError(f"--face-index {args.face_index}: faces count from 0 (the largest)")
    if args.sample:
        use_samples(args)
    args.transcript_text = read_transcript(args)
    if args.transcript_text is not None and args.batch is not None:
        raise UserError("--transcript goes with one --audio (and --image or --video), not with --batch")
    if args.video is not None:
        from lipglance.inference.cli.dub import run_dub

        return run_dub(args)
    if args.batch is not None:
        check_numbers(args)
        return batch_jobs.run_batch(args)
    missing = [flag for flag in ("--audio", "--image", "--output") if getattr(args, flag.lstrip("-")) is None]
    if missing:
        raise UserError(f"give {', '.join(missing)} (or --batch JOBS_CSV for many videos)")
    for flag in ("--workers", "--shard", "--overwrite"):
        if getattr(args, flag.lstrip("-")) not in (None, False, 1):
            raise UserError(f"{flag} goes with --batch JOBS_CSV")
    box = _box(args.box, args.face_index)
    check_numbers(args)
    with video_outputs(args.output, args.frames) as (out, frames_dir):
        image, box = prepare_image(args.image, args.max_size, box)
        model = load_model(args.weights, args.device, args.backend)
        n, fps = make_video(model, args, args.audio, image, box, out, frames_dir)
    print(f"wrote {shown(out.path.resolve())} ({n} frames, {n / fps:.2f} s{odd_size(image, args.lips_only)})")
    return 0


def odd_size(image: np.ndarray, lips_only: bool) -> str:
    """The note for a photo of odd width or height: H.264 (yuv420p) takes even sizes, so its last column or row
    is left out of the video (lipglance.inference.render.paste works on the even part)."""
    from lipglance.face import is_lip_crop

    h, w = image.shape[:2]
    if lips_only or is_lip_crop(image) or not (h % 2 or w % 2):
        return ""
    lost = " and ".join(what for what, odd in (("column", w % 2), ("row", h % 2)) if odd)
    return f"; {w - w % 2}x{h - h % 2} px: H.264 needs even sizes, so the photo's last {lost} is left out"
