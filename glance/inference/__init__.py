"""The inference side: speech + one image (or a video) -> frames and an mp4.

| module | what |
|---|---|
| `lipsync`, `windows` | `LipSync`, the Python API (loading, log-mel windows, the networks, streaming); cross-fade |
| `transcript` | a transcript's phones force-aligned to the speech (`--transcript`) |
| `renderers`, `shape_render`, `render` | choosing a renderer; the shape renderer; the warp and network renderers |
| `closing`, `paste` | closing an open mouth; full-face paste-back and telling a lip crop from a photo |
| `faces`, `inputs`, `loudness` | which detections are faces; what the API accepts; the speech level at inference |
| `living`, `blink`, `head` | the living photo: blinks and head sway |
| `generate`, `faces_cli` | `glance generate`, `glance faces` |
| `outputs`, `retime`, `progress` | output files, `--fps`, the progress bar |
| `batch_jobs`, `jobs_csv` | `glance generate --batch` |
| `dub`, `dub_cli`, `dub_render`, `dub_demo`, `video_track`, `video_store` | dubbing a video (`--video`) |
| `live_stream`, `live`, `live.html` | `LipSync.stream_live` and `glance live` |
| `onnx_export`, `onnx_backend`, `onnx_cli` | `glance export --onnx` and `--backend onnx` |
| `demo` | the Gradio page (`glance demo`) |

Shared with training and evaluation, outside this package: mouth shapes (`glance/shape.py`), the face
landmarks and the lip crop rule (`glance/face.py`), the motion probe (`glance/motion.py`), pixels
(`glance/pixels.py`), the log-mel front end (`glance/audio.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from glance.inference.lipsync import LipSync

__all__ = ["LipSync"]


def __getattr__(name: str) -> Any:
    """`glance.inference.LipSync` is imported on first use (torch takes seconds to load)."""
    if name == "LipSync":
        from glance.inference.lipsync import LipSync

        return LipSync
    raise AttributeError(f"module 'glance.inference' has no attribute {name!r}")
