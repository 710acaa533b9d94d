"""`glance generate --audio A --video V -o out.mp4`: dub a video (glance.dub) from the command line.

Shares `glance generate`'s options where they mean something for a video (--weights, --face-index, --fps,
--crf, --frames, --device, --backend); the photo-only ones are refused in one line. The video keeps its resolution
(--max-size does not apply); the output is written at 25 frames/s, or retimed to --fps.
"""

from __future__ import annotations

import argparse
import errno
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from glance.dub import FPS, DubStats, dub_stream
from glance.errors import UserError
from glance.io.audio import AudioReadError, load_audio
from glance.outputs import FramesFolder, OutputFile, shown
from glance.progress import progress
from glance.retime import retime, retimed_count

if TYPE_CHECKING:
    from glance.inference import LipSync

SPEECH = "give a speech file (wav, mp3, flac, ogg, m4a or a video with sound)"


def check_options(args: argparse.Namespace) -> None:
    """Refuse what does not go with --video, in one line."""
    if args.image is not None:
        raise UserError("--video and --image: give one of them (a video to dub, or a photo to animate)")
    if args.batch is not None:
        raise UserError("--video goes without --batch (a jobs CSV names photos)")
    for flag, given in (("--box", args.box is not None), ("--lips-only", args.lips_only),
                        ("--keep-mouth", args.keep_mouth), ("--workers", args.workers not in (None, 1)),
                        ("--shard", args.shard is not None), ("--overwrite", args.overwrite)):
        if given:
            raise UserError(f"{flag} does not go with --video")
    if args.renderer not in ("auto", "shape"):
        raise UserError(f"--renderer {args.renderer}: a video is dubbed with the shape renderer only")
    missing = [flag for flag in ("--audio", "--output") if getattr(args, flag.lstrip("-")) is None]
    if missing:
        raise UserError(f"give {', '.join(missing)} with --video")


def run_dub(args: argparse.Namespace) -> int:
    from glance.generate import _check_numbers, load_model

    check_options(args)
    _check_numbers(args)
    out = OutputFile(Path(args.output), ".mp4", "the video")
    try:
        frames_dir = FramesFolder(Path(args.frames)) if args.frames else None
    except UserError:
        out.undo()
        raise
    try:
        model = load_model(args.weights, args.device, args.backend)  # --backend onnx: the shape head in onnxruntime
        stats, n, fps = make_dub(model, args, out, frames_dir)
    except BaseException:
        if frames_dir is not None:
            frames_dir.undo()
        out.undo()
        raise
    print(f"wrote {shown(out.path.resolve())} ({n} frames, {n / fps:.2f} s; {stats.summary()})")
    return 0


def make_dub(model: LipSync, args: argparse.Namespace, out: OutputFile,
             frames_dir: FramesFolder | None = None) -> tuple[DubStats, int, int]:
    """Speech file + video -> `out` (committed). Returns (stats, frames written, fps)."""
    try:
        audio = load_audio(args.audio, model.sample_rate)
    except AudioReadError as e:
        raise UserError(f"{e}: {SPEECH}") from None
    if len(audio) < model.sample_rate // model.fps:
        raise UserError(f"{shown(args.audio)}: the audio is shorter than one video frame (40 ms)")
    stats = DubStats()
    count = model.frame_count(len(audio))
    fps = args.fps or FPS
    n = retimed_count(count, FPS, fps)
    frames: Iterator[np.ndarray] = retime(dub_stream(model, audio, args.video, args.face_index, stats), count,
                                          FPS, fps)
    if frames_dir is not None:
        frames = frames_dir.save(frames)
    frames = progress(frames, n, desc="dub")
    try:
        model.save(out.temp(), frames, args.audio, model.sample_rate, fps, args.crf)  # the new speech's own sound
        out.commit()
    except AudioReadError as e:
        raise UserError(f"{e}: {SPEECH}") from None
    except OSError as e:
        if e.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
            raise UserError(f"{shown(out.path)}: the disk is full ({e.strerror})") from None
        raise UserError(f"{shown(out.path)}: cannot write the video ({e.strerror or e})") from None
    return stats, n, fps
