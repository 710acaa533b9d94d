"""`glance generate`: speech + one lip or face image -> lip-synced mp4."""

from __future__ import annotations

import argparse
import errno
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import numpy as np

from glance.errors import Terminated, UserError
from glance.io.audio import AudioReadError, load_audio
from glance.io.image import read_image
from glance.renderers import RENDERERS

if TYPE_CHECKING:  # torch loads with it: imported when generating, not for --help
    from glance.inference import LipSync

MIN_FREE_BYTES = 1 << 20  # refuse to start on a disk with less free space than this


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="speech + one lip/face image -> lip-synced mp4")
    p.add_argument("--audio", required=True, help="speech: wav, mp3, flac, ogg, m4a or a video's audio track")
    p.add_argument("--image", required=True, help="a lip crop or a photo with a face")
    p.add_argument("-o", "--output", required=True, help="output mp4")
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
    p.add_argument("--face-index", type=int, default=0, help="which face (0 = largest)")
    p.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    p.set_defaults(func=run)


def load_model(weights: str | None, device: str) -> LipSync:
    from glance.inference import DEFAULT_WEIGHTS, LipSync

    if weights is not None or DEFAULT_WEIGHTS.is_file():
        return LipSync.from_pretrained(weights, device=device)
    print("glance generate: WARNING: no trained model is bundled yet; using an UNTRAINED tiny model "
          "(the lips will not follow the speech)", file=sys.stderr)
    return LipSync.untrained("tiny")


def load_image(path: str) -> np.ndarray:
    """uint8 RGB of an image file, with the size limits of glance.io.image checked before decoding."""
    return read_image(path)


def shown(path: str | Path) -> str:
    """A path as printable text, even when its bytes are not UTF-8."""
    return os.fsdecode(path).encode("utf-8", "backslashreplace").decode("utf-8")


def _writable_dir(folder: Path, what: str) -> None:
    """Refuse a folder that cannot take new files (a real probe: root ignores permission bits), or a full disk."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".glance-probe.", dir=folder)
        os.close(fd)
        os.unlink(probe)
        free = shutil.disk_usage(folder).free
    except OSError as e:
        raise UserError(f"{shown(folder)}: cannot write {what} there ({e.strerror or e})") from None
    if free < MIN_FREE_BYTES:
        raise UserError(f"{shown(folder)}: the disk is full ({free} bytes free)")


def check_output(path: Path) -> None:
    """Refuse an output that could not be written, before any work: suffix, folder, a directory in the way."""
    if path.suffix.lower() != ".mp4":
        raise UserError(f"{shown(path)}: the output must be an .mp4 file")
    if path.is_dir():
        raise UserError(f"{shown(path)}: is a directory: name an .mp4 file to write")
    if path.exists() and not path.is_file():
        raise UserError(f"{shown(path)}: exists and is not a regular file")
    parent = path.parent
    if not parent.is_dir():
        raise UserError(f"{shown(path)}: cannot write there (folder missing or not a folder)")
    _writable_dir(parent, "the video")


class FramesFolder:
    """The --frames folder: checked and created before the work, removed again (with what was written into
    it) when generation fails; a folder that existed before keeps everything it held."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.written: list[Path] = []
        self.created: list[Path] = []
        if folder.exists() and not folder.is_dir():
            raise UserError(f"--frames {shown(folder)}: exists and is not a folder")
        missing = []
        probe = folder
        while not probe.exists():
            missing.append(probe)
            if probe.parent == probe:
                break
            probe = probe.parent
        if not probe.is_dir():
            raise UserError(f"--frames {shown(folder)}: {shown(probe)} is not a folder")
        try:
            for d in reversed(missing):
                d.mkdir()
                self.created.append(d)
            _writable_dir(folder, "frames")
        except (OSError, UserError) as e:
            self.undo()
            msg = e.strerror if isinstance(e, OSError) else str(e)
            raise UserError(f"--frames {shown(folder)}: cannot write frames there ({msg})") from None

    def save(self, frames: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        import cv2

        for i, frame in enumerate(frames):
            ok, png = cv2.imencode(".png", cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
            if not ok:
                raise UserError("could not encode a frame as PNG")
            path = self.folder / f"{i:06d}.png"
            self.written.append(path)
            path.write_bytes(png.tobytes())
            yield frame

    def undo(self) -> None:
        for path in self.written:
            path.unlink(missing_ok=True)
        for d in reversed(self.created):
            try:
                d.rmdir()
            except OSError:
                pass


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


def run(args: argparse.Namespace) -> int:
    """Generate under a SIGTERM handler that unwinds like Ctrl-C, so every temp file is removed."""
    old = signal.signal(signal.SIGTERM, _terminate)
    try:
        return _run(args)
    finally:
        signal.signal(signal.SIGTERM, old)


def _run(args: argparse.Namespace) -> int:
    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise UserError("--device cuda asked, but this torch sees no CUDA GPU: use --device cpu")
    if args.face_index < 0:
        raise UserError(f"--face-index {args.face_index}: faces count from 0 (the largest)")
    out = Path(args.output)
    check_output(out)
    frames_dir = FramesFolder(Path(args.frames)) if args.frames else None
    tmp: str | None = None
    try:
        image = load_image(args.image)
        model = load_model(args.weights, args.device)
        try:
            audio = load_audio(args.audio, model.sample_rate)
        except AudioReadError as e:
            raise UserError(f"{e}: give a speech file (wav, mp3, flac, ogg, m4a or a video with sound)") from None
        if len(audio) < model.sample_rate // model.fps:
            raise UserError(f"{shown(args.audio)}: the audio is shorter than one video frame (40 ms)")
        n = model.frame_count(len(audio))
        frames: Iterator[np.ndarray] = model.stream(audio, image, args.face_index, args.lips_only,
                                                    close_mouth=not args.keep_mouth, renderer=args.renderer)
        from tqdm import tqdm

        frames = tqdm(frames, total=n, unit="frame", desc="generate", file=sys.stderr, disable=n < 50, leave=False)
        if frames_dir is not None:
            frames = frames_dir.save(frames)
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".mp4", dir=out.parent)
        os.close(fd)
        try:
            model.save(tmp, frames, args.audio, model.sample_rate, model.fps)  # the input's own soundtrack
            os.replace(tmp, out)
        except AudioReadError as e:
            raise UserError(f"{e}: give a speech file (wav, mp3, flac, ogg, m4a or a video with sound)") from None
        except OSError as e:
            if e.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
                raise UserError(f"{shown(out)}: the disk is full ({e.strerror})") from None
            raise UserError(f"{shown(out)}: cannot write the video ({e.strerror or e})") from None
    except BaseException:
        if frames_dir is not None:
            frames_dir.undo()
        raise
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    print(f"wrote {shown(out.resolve())} ({n} frames, {n / model.fps:.2f} s)")
    return 0
