"""Files written whole or not at all, mode 0644: `atomic_write` (checkpoints, caches, logs) and the files the CLI
writes, checked before any work, their folder created.

An output is written to a temporary file in its folder and renamed over the name when complete, with the
permissions a new file gets (0666 less the umask: 0644 under the usual umask 022; mkstemp alone gives 0600).
Folders that did not exist are created before the work and removed again when it fails.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from lipglance.errors import UserError

MIN_FREE_BYTES = 1 << 20  # refuse to start on a disk with less free space than this


def shown(path: str | Path) -> str:
    """A path as printable text, even when its bytes are not UTF-8."""
    return os.fsdecode(path).encode("utf-8", "backslashreplace").decode("utf-8")


def file_mode() -> int:
    """The mode a new file gets here: 0666 less the umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: Path, data: bytes) -> None:
    """Write bytes so that `path` is either the old file or the complete new one, never partial."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.chmod(tmp, file_mode())  # mkstemp makes 0600; give the file the usual permissions
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def writable_dir(folder: Path, what: str) -> None:
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


def make_folders(folder: Path, option: str) -> list[Path]:
    """Create `folder` and its missing parents; returns those created (deepest last). One-line UserError if a
    file is in the way or the folder cannot be made."""
    missing = []
    probe = folder
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        raise UserError(f"{option}{shown(folder)}: {shown(probe)} is not a folder")
    created: list[Path] = []
    try:
        for d in reversed(missing):
            d.mkdir()
            created.append(d)
    except OSError as e:
        remove_folders(created)
        raise UserError(f"{option}{shown(folder)}: cannot make the folder ({e.strerror or e})") from None
    return created


def remove_folders(created: list[Path]) -> None:
    for d in reversed(created):
        try:
            d.rmdir()
        except OSError:
            pass


class OutputFile:
    """One output file: suffix and folder checked (the folder made) before the work; `temp()` gives the file to
    write, `commit()` renames it over the name with mode 0644; `undo()` removes the temp and made folders."""

    def __init__(self, path: Path, suffix: str, what: str) -> None:
        self.path = path
        if path.suffix.lower() != suffix:
            raise UserError(f"{shown(path)}: the output must be a {suffix} file")
        if path.is_dir():
            raise UserError(f"{shown(path)}: is a directory: name a {suffix} file to write")
        if path.exists() and not path.is_file():
            raise UserError(f"{shown(path)}: exists and is not a regular file")
        self.tmp: Path | None = None
        self.created = make_folders(path.parent, "")
        try:
            writable_dir(path.parent, what)
        except UserError:
            self.undo()
            raise

    def temp(self) -> Path:
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=self.path.suffix, dir=self.path.parent)
        os.close(fd)
        self.tmp = Path(tmp)
        return self.tmp

    @staticmethod
    def remove_temps(path: Path) -> None:
        """Remove the temp files `temp()` made for `path` that a writer killed outright left behind."""
        for tmp in path.parent.glob(f".{glob.escape(path.name)}.*{glob.escape(path.suffix)}"):
            tmp.unlink(missing_ok=True)

    def commit(self) -> None:
        assert self.tmp is not None
        os.chmod(self.tmp, file_mode())
        os.replace(self.tmp, self.path)
        self.tmp = None

    def undo(self) -> None:
        if self.tmp is not None:
            self.tmp.unlink(missing_ok=True)
            self.tmp = None
        remove_folders(self.created)
        self.created = []


class FramesFolder:
    """The --frames folder: checked and created before the work, removed again (with what was written into
    it) when generation fails; a folder that existed before keeps everything it held."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.written: list[Path] = []
        if folder.exists() and not folder.is_dir():
            raise UserError(f"--frames {shown(folder)}: exists and is not a folder")
        self.created = make_folders(folder, "--frames ")
        try:
            writable_dir(folder, "frames")
        except UserError as e:
            self.undo()
            raise UserError(f"--frames {shown(folder)}: cannot write frames there ({e})") from None

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
        remove_folders(self.created)


@contextlib.contextmanager
def video_outputs(output: str, frames: str | None) -> Iterator[tuple[OutputFile, FramesFolder | None]]:
    """The output mp4 and the optional --frames folder, both checked first and both undone (nothing left
    behind) when anything inside the block raises; the caller commits them."""
    out = OutputFile(Path(output), ".mp4", "the video")
    try:
        frames_dir = FramesFolder(Path(frames)) if frames else None
    except UserError:
        out.undo()
        raise
    try:
        yield out, frames_dir
    except BaseException:
        if frames_dir is not None:
            frames_dir.undo()
        out.undo()
        raise


SPEECH = "give a speech file (wav, mp3, flac, ogg, m4a or a video with sound)"


def write_video(out: OutputFile, save: Callable[[Path], object]) -> None:
    """`save(temporary path)` writes the video, then `out` is committed; speech that cannot be read and a full
    or unwritable disk end as one-line UserErrors (the caller undoes `out`)."""
    from lipglance.io.audio import AudioReadError

    try:
        save(out.temp())
        out.commit()
    except AudioReadError as e:
        raise UserError(f"{e}: {SPEECH}") from None
    except OSError as e:
        if e.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
            raise UserError(f"{shown(out.path)}: the disk is full ({e.strerror})") from None
        raise UserError(f"{shown(out.path)}: cannot write the video ({e.strerror or e})") from None
