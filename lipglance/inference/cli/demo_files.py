"""The files of one `lipglance demo` server: every upload and every result under one temporary folder of its own.

Gradio keeps uploads (and, unless they are there already, results) in its cache folder, by default
/tmp/gradio shared by every Gradio app and never emptied. Here the server gets a folder of its own
(`lipglance-demo-*` in the system's temp folder): Gradio's cache (GRADIO_TEMP_DIR) and the results
the page's jobs write (straight into the cache, so Gradio keeps no second copy). A job leaves one file,
its result, which the page plays; Gradio removes uploads and results older than MAX_AGE every
CLEAN_EVERY seconds, and the whole folder is removed when the server stops (Ctrl+C, SIGTERM or an error).
An upload over the page's stated limit (demo.MAX_UPLOAD) is refused by Gradio as it streams in, after at most
that many bytes were written.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

CLEAN_EVERY = 600  # s: how often Gradio looks for old uploads and results
MAX_AGE = 3600  # s: uploads and results older than this are removed


class PageFiles:
    """The server's folder; `results` is where jobs write their videos. Set up before the Gradio app is built."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="lipglance-demo-"))
        self.before = os.environ.get("GRADIO_TEMP_DIR")
        os.environ["GRADIO_TEMP_DIR"] = str(self.root)  # read by Gradio when the app and its routes are made
        self.results = self.root / "results"
        self.results.mkdir()
        atexit.register(self.close)

    def close(self) -> None:
        """Remove every upload and result of this server (and point Gradio back where it was: a server still
        running in this process would otherwise make the folder again)."""
        if os.environ.get("GRADIO_TEMP_DIR") == str(self.root):
            if self.before is None:
                os.environ.pop("GRADIO_TEMP_DIR")
            else:
                os.environ["GRADIO_TEMP_DIR"] = self.before
        shutil.rmtree(self.root, ignore_errors=True)
