"""The inference side: speech + one image (or a video) -> frames and an mp4.

| module | what |
|---|---|
| `lipsync`, `windows` | `LipSync`, the Python API (loading, log-mel windows, the networks, streaming); cross-fade |
| `transcript` | a transcript's phones force-aligned to the speech (`--transcript`) |
| `renderers`, `shape_render`, `render` | choosing a renderer; the shape renderer; the warp and network renderers |
| `closing`, `paste` | closing an open mouth; full-face paste-back and telling a lip crop from a photo |
| `faces`, `inputs`, `loudness` | which detections are faces; what the API accepts; the speech level at inference |
| `living`, `blink`, `head` | the living photo: blinks and head sway |
| `generate`, `faces_cli` | `lipglance generate`, `lipglance faces` |
| `outputs`, `retime`, `progress` | output files, `--fps`, the progress bar |
| `batch_jobs`, `jobs_csv` | `lipglance generate --batch` |
| `dub`, `dub_cli`, `dub_render`, `dub_demo`, `video_track`, `video_store` | dubbing a video (`--video`) |
| `live_stream`, `live`, `live.html` | `LipSync.stream_live` and `lipglance live` |
| `onnx_export`, `onnx_backend`, `onnx_cli` | `lipglance export --onnx` and `--backend onnx` |
| `demo` | the Gradio page (`lipglance demo`) |

Shared with training and evaluation, outside this package: mouth shapes (`lipglance/shape.py`), the face
landmarks and the lip crop rule (`lipglance/face.py`), the motion probe (`lipglance/motion.py`), pixels
(`lipglance/pixels.py`), the log-mel front end (`lipglance/audio.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lipglance.inference.lipsync import LipSync

__all__ = ["LipSync"]


def __getattr__(name: str) -> Any:
    """`lipglance.inference.LipSync` is imported on first use (torch takes seconds to load)."""
    if name == "LipSync":
        from lipglance.inference.lipsync import LipSync

        return LipSync
    raise AttributeError(f"module 'lipglance.inference' has no attribute {name!r}")
