"""`LipSync.save`: frames (and speech, if any) to a video file, under the API's rules.

The file is H.264 video with AAC sound in an MP4 (`.mp4`, `.m4v`) or QuickTime (`.mov`) container, as its name
says; any other extension is refused rather than written as MP4 under another name. A missing folder is created.
Without audio the video is silent. Bad arguments raise a one-line UserError; nothing is left at `path` then. The
video is written to a temporary file beside `path` and renamed over it when complete, so a file already at `path`
stays whole until the new one replaces it (and stays as it was when writing fails).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from lipglance.errors import UserError
from lipglance.inference.model.inputs import as_audio
from lipglance.io.audio import AudioReadError
from lipglance.io.outputs import file_mode, make_folders, remove_folders, shown

CONTAINERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov"}  # extension -> the container written


def save_video(path: str | Path, frames: Iterable[np.ndarray], audio: np.ndarray | str | Path | None,
               sample_rate: int, fps: int, crf: int) -> int:
    """Write `frames` (uint8 RGB [H, W, 3]) with `audio` (samples at `sample_rate`, a speech file's own sound, or
    None: silent) at `fps`; returns the frame count."""
    from lipglance.io.soundtrack import Soundtrack
    from lipglance.io.video import write_video

    path = Path(path)
    container = CONTAINERS.get(path.suffix.lower())
    if container is None:
        raise UserError(f"{shown(path)}: save() writes H.264 video with AAC sound as .mp4, .m4v or .mov, not "
                        f"'{path.suffix or 'no extension'}'; convert the file afterwards for another format")
    if not isinstance(fps, (int, np.integer)) or not 1 <= fps <= 120:
        raise UserError(f"fps={fps!r}: give whole frames per second, 1..120")
    if not isinstance(crf, (int, np.integer)) or not 0 <= crf <= 51:
        raise UserError(f"crf={crf!r}: H.264 quality runs from 0 (lossless) to 51 (worst)")
    if path.is_dir():
        raise UserError(f"{shown(path)}: is a folder: name the video file to write")
    track: np.ndarray | Soundtrack | None = None
    try:
        if isinstance(audio, (str, Path)):
            track = Soundtrack(audio)
        elif audio is not None:
            track = as_audio(audio, sample_rate, sample_rate)  # int16 scaled, channels mixed, at its own rate
    except AudioReadError as e:
        raise UserError(str(e)) from None
    created = make_folders(path.parent, "")
    # `.NAME.XXXX.ext` beside the file; a name that is itself such a temp (the CLI's OutputFile.temp) keeps its one
    # leading dot, so OutputFile.remove_temps finds both after a kill -9
    hidden = path.name if path.name.startswith(".") else f".{path.name}"
    fd, name = tempfile.mkstemp(prefix=f"{hidden}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        count = write_video(tmp, frames, fps, track, sample_rate, container, crf)
        os.chmod(tmp, file_mode())
        os.replace(tmp, path)
        return count
    except ValueError as e:
        tmp.unlink(missing_ok=True)
        remove_folders(created)
        raise UserError(str(e)) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        remove_folders(created)
        raise
