"""`lipglance generate --audio A --video V -o out.mp4`: dub a video (lipglance.inference.video.dub) from the command
line.

Shares `lipglance generate`'s options where they mean something for a video (--weights, --face-index, --fps,
--crf, --frames, --device, --backend); the photo-only ones are refused in one line. The video keeps its resolution
(--max-size does not apply); the output is written at 25 frames/s, or retimed to --fps.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from lipglance.errors import UserError
from lipglance.inference.cli.common import check_numbers, load_model, stop_when_signalled
from lipglance.inference.cli.progress import progress
from lipglance.inference.cli.retime import retime, retimed_count
from lipglance.inference.model.inputs import check_duration
from lipglance.inference.video.dub import FPS, DubStats, dub_stream
from lipglance.io.audio import AudioReadError, load_audio
from lipglance.io.outputs import SPEECH, FramesFolder, OutputFile, shown, video_outputs, write_video

if TYPE_CHECKING:
    from lipglance.inference.model.lipsync import LipSync


def check_options(args: argparse.Namespace) -> None:
    """Refuse what does not go with --video, in one line."""
    if args.image is not None:
        raise UserError("--video and --image: give one of them (a video to dub, or a photo to animate)")
    if args.batch is not None:
        raise UserError("--video goes without --batch (a jobs CSV names photos)")
    for flag, given in (("--box", args.box is not None), ("--lips-only", args.lips_only),
                        ("--keep-mouth", args.keep_mouth), ("--keep-expression", args.keep_expression),
                        ("--workers", args.workers not in (None, 1)),
                        ("--shard", args.shard is not None), ("--overwrite", args.overwrite)):
        if given:
            raise UserError(f"{flag} does not go with --video")
    if args.renderer not in ("auto", "shape"):
        raise UserError(f"--renderer {args.renderer}: a video is dubbed with the shape renderer only")
    missing = [flag for flag in ("--audio", "--output") if getattr(args, flag.lstrip("-")) is None]
    if missing:
        raise UserError(f"give {', '.join(missing)} with --video")


def run_dub(args: argparse.Namespace) -> int:
    check_options(args)
    check_numbers(args)
    with video_outputs(args.output, args.frames) as (out, frames_dir):
        model = load_model(args.weights, args.device, args.backend)  # --backend onnx: the shape head in onnxruntime
        stats, n, fps = make_dub(model, args, out, frames_dir)
    print(f"wrote {shown(out.path.resolve())} ({n} frames, {n / fps:.2f} s; {stats.summary()})")
    return 0


def make_dub(model: LipSync, args: argparse.Namespace, out: OutputFile,
             frames_dir: FramesFolder | None = None) -> tuple[DubStats, int, int]:
    """Speech file + video -> `out` (committed). Returns (stats, frames written, fps)."""
    try:
        audio = load_audio(args.audio, model.sample_rate)
    except AudioReadError as e:
        raise UserError(f"{e}: {SPEECH}") from None
    check_duration(audio, model.sample_rate, model.fps, shown(args.audio))
    stats = DubStats()
    count = model.frame_count(len(audio))
    fps = args.fps or FPS
    n = retimed_count(count, FPS, fps)
    dubbed = dub_stream(model, audio, args.video, args.face_index, stats, getattr(args, "transcript_text", None),
                        amplitude=args.amplitude)
    frames: Iterator[np.ndarray] = retime(dubbed, count, FPS, fps)
    if frames_dir is not None:
        frames = frames_dir.save(frames)
    frames = stop_when_signalled(progress(frames, n, desc="dub"))
    # The new speech's own sound.
    write_video(out, lambda path: model.save(path, frames, args.audio, model.sample_rate, fps, args.crf))
    return stats, n, fps
