"""`glance generate`: speech + one lip or face image -> lip-synced mp4."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from glance.errors import UserError
from glance.inference import DEFAULT_WEIGHTS, RENDERERS, LipSync
from glance.io.audio import AudioReadError, load_audio


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
    if weights is not None or DEFAULT_WEIGHTS.is_file():
        return LipSync.from_pretrained(weights, device=device)
    print("glance generate: WARNING: no trained model is bundled yet; using an UNTRAINED tiny model "
          "(the lips will not follow the speech)", file=sys.stderr)
    return LipSync.untrained("tiny")


def load_image(path: str) -> np.ndarray:
    if not Path(path).is_file():
        raise UserError(f"{path}: no such image file")
    bgr = cv2.imread(path, cv2.IMREAD_COLOR)
    if bgr is None:
        raise UserError(f"{path}: not a readable image (give a png or jpg of a face or lips)")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def check_output(path: Path) -> None:
    if path.suffix.lower() != ".mp4":
        raise UserError(f"{path}: the output must be an .mp4 file")
    parent = path.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise UserError(f"{path}: cannot write there (folder missing or not writable)")


def run(args: argparse.Namespace) -> int:
    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise UserError("--device cuda asked, but this torch sees no CUDA GPU: use --device cpu")
    out = Path(args.output)
    check_output(out)
    image = load_image(args.image)
    model = load_model(args.weights, args.device)
    try:
        audio = load_audio(args.audio, model.sample_rate)
    except AudioReadError as e:
        raise UserError(f"{e}: give a speech file (wav, mp3, flac, ogg, m4a or a video with sound)") from None
    if len(audio) < model.sample_rate // model.fps:
        raise UserError(f"{args.audio}: the audio is shorter than one video frame (40 ms)")
    n = model.frame_count(len(audio))
    frames: Iterator[np.ndarray] = model.stream(audio, image, args.face_index, args.lips_only,
                                                     close_mouth=not args.keep_mouth, renderer=args.renderer)
    frames = tqdm(frames, total=n, unit="frame", desc="generate", file=sys.stderr, disable=n < 50)
    if args.frames:
        frames = _saved(Path(args.frames), frames)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".mp4", dir=out.parent)
    os.close(fd)
    try:
        LipSync.save(tmp, frames, audio, model.sample_rate, model.fps)
        os.replace(tmp, out)
    finally:
        Path(tmp).unlink(missing_ok=True)
    print(f"wrote {out.resolve()} ({n} frames, {n / model.fps:.2f} s)")
    return 0


def _saved(folder: Path, frames: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames):
        cv2.imwrite(str(folder / f"{i:06d}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        yield frame
