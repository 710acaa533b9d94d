"""The ONNX export of a checkpoint, made once and kept in the user's cache (`--backend onnx` without an .onnx).

Exporting and checking the graphs takes tens of seconds, so `cached_export` keeps the files under
`$XDG_CACHE_HOME/lipglance/onnx/KEY/` (default `~/.cache/lipglance/onnx/KEY/`): KEY is a SHA-256 of the checkpoint's
bytes, the package version, the sidecar format and the source of the networks and the exporter, so any change to
the weights or to the code that defines the graphs makes a new export. An export is written into a temporary
folder beside and renamed into place whole (two processes exporting at once: the first rename wins). Delete the
folder to reclaim the space; a damaged entry is exported again.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from lipglance.inference.onnx.export import FORMAT, export_onnx
from lipglance.version import __version__

CACHE_ENV = "XDG_CACHE_HOME"  # the cache's parent folder (freedesktop.org); unset: ~/.cache
PACKAGE = Path(__file__).resolve().parents[2]  # lipglance/
# the code whose change changes the exported graphs
SOURCES = (PACKAGE / "nn", PACKAGE / "inference" / "onnx" / "export.py", PACKAGE / "audio.py")


def cache_root() -> Path:
    """Where exports are kept: $XDG_CACHE_HOME/lipglance/onnx (or ~/.cache/lipglance/onnx)."""
    base = os.environ.get(CACHE_ENV) or str(Path.home() / ".cache")
    return Path(base) / "lipglance" / "onnx"


def model_key(checkpoint: Path) -> str:
    """SHA-256 (first 32 hex digits) of the checkpoint's bytes and of everything else that decides its graphs."""
    h = hashlib.sha256()
    h.update(f"lipglance {__version__} sidecar {FORMAT}\n".encode())
    with checkpoint.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    for source in SOURCES:
        for path in sorted(source.rglob("*.py")) if source.is_dir() else [source]:
            h.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:32]


def cached_export(checkpoint: Path, weights: str | Path | None) -> Path:
    """The .onnx of `checkpoint` in the cache, exported there first if it is not (`weights`: as given, None for
    the bundled model). OSError when the cache cannot be written."""
    folder = cache_root() / model_key(checkpoint)
    onnx = folder / "model.onnx"
    if (folder / "model.json").is_file():
        return onnx
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=folder.parent))
    try:
        export_onnx(work / "model.onnx", weights)
        try:
            os.rename(work, folder)
        except OSError:  # another process renamed its export into place first: use that one
            if not (folder / "model.json").is_file():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return onnx


def forget(onnx: Path) -> None:
    """Remove a damaged cache entry (the folder holding `onnx`), so that it is exported again."""
    if onnx.parent.parent == cache_root():
        shutil.rmtree(onnx.parent, ignore_errors=True)
