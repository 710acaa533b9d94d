"""The inference side: speech + one image (or a video) -> frames and an mp4. One subpackage per job:

| package | what lives there |
|---|---|
| `model/` | `LipSync`, the Python API: the networks, their windows over long speech, the inputs it accepts |
| `speech/` | the speech level brought to training's (`loudness`), a transcript aligned to the speech |
| `faces/` | finding faces: which of dlib's detections are faces, the face to animate, a lip crop or a photo |
| `render/` | drawing a frame: shape, warp and network renderers, closing a mouth, paste-back, the living photo |
| `video/` | dubbing a video: tracking its face, a frame store, the per-frame renderer |
| `live/` | `stream_live(model, ...)` and `lipglance live` (the server and its page, `live.html`) |
| `onnx/` | `lipglance export --onnx` and `--backend onnx` |
| `cli/` | the commands: `generate` (with `--batch`, `--video`), `faces`, `export`, `demo` |

The Python API, each imported on first use (torch takes seconds to load): `LipSync` (the model), and functions
that take one: `dub(model, audio, video, out)` / `dub_stream(...)` (video/), `stream_live(model, chunks, image)`
(live/), `onnx_model(path)` (onnx/: a `LipSync` whose networks run in onnxruntime). The model imports none of them.

Shared with training and evaluation, outside this package: mouth shapes (`lipglance/shape.py`), the face
landmarks and the lip crop rule (`lipglance/face.py`), the motion probe (`lipglance/motion.py`), pixels
(`lipglance/pixels.py`), the log-mel front end (`lipglance/audio.py`), reading and writing files (`lipglance/io/`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lipglance.inference.live.stream import stream_live
    from lipglance.inference.model.lipsync import LipSync
    from lipglance.inference.onnx.backend import onnx_model
    from lipglance.inference.video.dub import DubStats, dub, dub_stream

__all__ = ["DubStats", "LipSync", "dub", "dub_stream", "onnx_model", "stream_live"]


def __getattr__(name: str) -> Any:
    """The API's names, each module imported on first use."""
    if name == "LipSync":
        from lipglance.inference.model.lipsync import LipSync

        return LipSync
    if name in ("dub", "dub_stream", "DubStats"):
        from lipglance.inference.video import dub as video

        return getattr(video, name)
    if name == "stream_live":
        from lipglance.inference.live.stream import stream_live

        return stream_live
    if name == "onnx_model":
        from lipglance.inference.onnx.backend import onnx_model

        return onnx_model
    raise AttributeError(f"module 'lipglance.inference' has no attribute {name!r}")
