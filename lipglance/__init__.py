"""glance: speech + ONE lip or face image -> a video of those lips saying the speech.

An implementation of "Lip Movements Generation at a Glance" (Chen et al., ECCV 2018).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lipglance.version import __version__

__all__ = ["DubStats", "LipSync", "__version__", "dub", "dub_stream", "onnx_model", "stream_live"]

if TYPE_CHECKING:
    from lipglance.inference import DubStats, LipSync, dub, dub_stream, onnx_model, stream_live


def __getattr__(name: str) -> Any:
    """`lipglance.LipSync` and the functions over it (lipglance.inference) are imported on first use, so that
    `lipglance --help` does not load torch."""
    if name in ("DubStats", "LipSync", "dub", "dub_stream", "onnx_model", "stream_live"):
        import lipglance.inference

        return getattr(lipglance.inference, name)
    raise AttributeError(f"module 'lipglance' has no attribute {name!r}")
