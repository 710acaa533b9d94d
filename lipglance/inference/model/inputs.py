"""What the Python API accepts as speech and as an image, turned into what the model takes (or a clear UserError).

Speech: a file path (any format lipglance.io.audio decodes), or samples: a NumPy array (or anything
`np.asarray` takes, such as a CPU torch tensor) of int16, int32, uint8 or float in [-1, 1], mono [N] or
multi-channel [N, C] / [C, N] (C <= 8, mixed down), at `sample_rate` (default: the model's 16 kHz; any other
rate is resampled).
Image: a file path, a PIL image (any mode; transparency over white), or an array [H, W], [H, W, 1], [H, W, 3] or
[H, W, 4] of uint8, uint16, bool or float in [0, 1] (RGBA over white, grey repeated).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Union

import numpy as np

from lipglance.errors import UserError
from lipglance.io.audio import AudioReadError, check_samples, load_audio, plain, resample

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

MAX_CHANNELS = 8
AudioInput = Union[str, "os.PathLike[str]", np.ndarray]  # or anything np.asarray takes
ImageInput = Union[str, "os.PathLike[str]", np.ndarray, "PILImage"]


def as_audio(audio: object, model_rate: int, sample_rate: int | None = None) -> np.ndarray:
    """Mono float32 samples at `model_rate` from a path or samples at `sample_rate` (None: `model_rate`)."""
    if isinstance(audio, (str, os.PathLike)):
        try:
            return load_audio(Path(audio), model_rate)
        except AudioReadError as e:
            raise UserError(str(e)) from None
    if isinstance(audio, (bytes, dict)) or audio is None:
        raise UserError(f"audio must be a file path or samples (a NumPy array), not {type(audio).__name__}")
    try:
        a = np.asarray(audio)
    except (TypeError, ValueError, RuntimeError) as e:
        raise UserError(f"audio must be a file path or samples (a NumPy array), not {type(audio).__name__} "
                        f"({e})") from None
    if a.dtype == object:
        raise UserError(f"audio must be a file path or samples (a NumPy array), not {type(audio).__name__}")
    if a.ndim == 2:
        a = _mixed(a)
    rate = model_rate if sample_rate is None else int(sample_rate)
    if not 4000 <= rate <= 384000:
        raise UserError(f"sample_rate {sample_rate}: give the samples' rate in Hz (4000..384000)")
    mono = check_samples(a, rate)
    return mono if rate == model_rate else resample(mono, rate, model_rate)


def _mixed(a: np.ndarray) -> np.ndarray:
    """[N, C] or [C, N] (the shorter axis holds the channels) -> mono [N], in the array's own dtype range."""
    axis = 1 if a.shape[1] <= a.shape[0] else 0
    if a.shape[axis] > MAX_CHANNELS:
        raise UserError(f"audio of shape {list(a.shape)}: give mono [N] or channels [N, C] / [C, N] with "
                        f"C <= {MAX_CHANNELS}")
    if a.dtype.kind in "iu":  # scale first (check_samples knows the integer ranges), then mix
        return np.asarray(np.mean([check_samples(np.take(a, c, axis=axis), 16000) for c in range(a.shape[axis])],
                                  axis=0, dtype=np.float32))
    return a.mean(axis=axis)


def as_image(image: object) -> np.ndarray:
    """uint8 RGB [H, W, 3] from a path, a PIL image or an array (see the module's docstring)."""
    from PIL import Image

    from lipglance.io.image import _rgb, read_image

    if isinstance(image, (str, os.PathLike)):
        return read_image(Path(image))
    if isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3:
        return image
    if isinstance(image, Image.Image):
        return np.ascontiguousarray(np.asarray(_rgb(image), np.uint8))
    if not isinstance(image, np.ndarray):
        raise UserError(f"image must be a file path, a PIL image or an array [H, W, 3], not {type(image).__name__}")
    a = image[..., None] if image.ndim == 2 else image
    if a.ndim != 3 or a.shape[2] not in (1, 3, 4) or min(a.shape[:2]) < 1:
        raise UserError(f"image must be [H, W], [H, W, 1], [H, W, 3] or [H, W, 4], got shape {list(image.shape)}")
    f = _unit(a)
    if f.shape[2] == 4:  # over white
        f = f[..., :3] * f[..., 3:] + (1.0 - f[..., 3:])
    elif f.shape[2] == 1:
        f = np.repeat(f, 3, axis=2)
    return np.ascontiguousarray(np.clip(f * 255.0 + 0.5, 0, 255).astype(np.uint8))


def _unit(a: np.ndarray) -> np.ndarray:
    """Pixel values as float32 in [0, 1] by the dtype's range."""
    if a.dtype == np.uint8:
        return a.astype(np.float32) / 255.0
    if a.dtype == np.uint16:
        return a.astype(np.float32) / 65535.0
    if a.dtype == np.bool_:
        return a.astype(np.float32)
    if a.dtype.kind == "f":
        if not np.isfinite(a).all():
            raise UserError("image holds NaN or infinite values")
        if a.min() < 0 or a.max() > 1:
            raise UserError(f"a float image must lie in [0, 1], but this one spans {plain(a.min())} to "
                            f"{plain(a.max())}: 0..255 values as floats? pass them as uint8, or divide by 255")
        return a.astype(np.float32)
    raise UserError(f"an image of dtype {a.dtype}: give uint8, uint16, bool or float in [0, 1] (e.g. "
                    "image.astype(np.uint8) for 0..255 values)")


def _whole(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_face_choice(face_index: object, box: object) -> tuple[int, tuple[int, int, int, int] | None]:
    """`face_index` (a whole number >= 0) and `box` (None or x, y, w, h: whole pixels, x and y >= 0, w and h > 0)
    as the API takes them, or a one-line UserError in the API's terms."""
    if not _whole(face_index) or int(face_index) < 0:  # type: ignore[call-overload]
        raise UserError(f"face_index={face_index!r}: give a whole number >= 0 (0 = the largest face; faces count "
                        "from 0)")
    if box is None:
        return int(face_index), None  # type: ignore[call-overload]
    parts = tuple(box) if isinstance(box, (tuple, list, np.ndarray)) else ()
    if len(parts) != 4 or not all(_whole(p) for p in parts):
        raise UserError(f"box={box!r}: give the face's box as (x, y, w, h), four whole numbers of pixels")
    x, y, w, h = (int(p) for p in parts)
    if x < 0 or y < 0 or w <= 0 or h <= 0:
        raise UserError(f"box=({x}, {y}, {w}, {h}): x and y must be >= 0, w and h > 0")
    if int(face_index) != 0:  # type: ignore[call-overload]
        raise UserError("face_index= and box= both pick the face: give one of them")
    return 0, (x, y, w, h)


def check_duration(audio: np.ndarray, sample_rate: int, fps: int, name: str = "") -> np.ndarray:
    """`audio` (mono samples at `sample_rate`) when it lasts at least one video frame, else a one-line UserError
    (`name`: the file it came from). The one rule of the CLI, dubbing, the pages and the API."""
    if len(audio) < sample_rate // fps:
        raise UserError(f"{name + ': ' if name else ''}the audio is shorter than one video frame "
                        f"({1000 // fps} ms)")
    return audio


def page_speech(path: str | None, sample_rate: int, fps: int, max_seconds: float, command: str) -> np.ndarray:
    """A demo page's uploaded or recorded speech at `sample_rate`, between one frame and `max_seconds` long;
    otherwise a one-line UserError (`command` is the CLI that takes longer audio)."""
    if not path:
        raise UserError("give a speech recording (upload a file or record with the microphone)")
    try:
        audio = load_audio(path, sample_rate)
    except AudioReadError as e:
        raise UserError(f"{os.path.basename(str(e).split(':')[0])}: not a readable audio file") from None
    seconds = len(check_duration(audio, sample_rate, fps)) / sample_rate
    if seconds > max_seconds:
        raise UserError(f"the audio is {seconds:.0f} s long; this page takes up to {max_seconds:.0f} s "
                        f"(use `{command}` for longer audio)")
    return audio


def check_device(device: str) -> str:
    """A device torch can use here, or a one-line UserError (a CUDA device asked of a CPU build, a typo)."""
    import torch

    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise UserError(f"device {device!r}: give 'cpu' or 'cuda' (or 'cuda:N')") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise UserError(f"device {device!r} asked, but this torch sees no CUDA GPU (a CPU build, or no driver): "
                            "use device='cpu'")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise UserError(f"device {device!r}: this machine has {torch.cuda.device_count()} CUDA GPU(s)")
    elif dev.type != "cpu":
        raise UserError(f"device {device!r}: glance runs on 'cpu' or 'cuda'")
    return device
