"""glance: speech + ONE lip or face image -> a video of those lips saying the speech.

An implementation of "Lip Movements Generation at a Glance" (Chen et al., ECCV 2018).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["LipSync", "__version__"]

if TYPE_CHECKING:
    from lipglance.inference.model.lipsync import LipSync


def __getattr__(name: str) -> Any:
    """`lipglance.LipSync` is imported on first use, so that `lipglance --help` does not load torch."""
    if name == "LipSync":
        from lipglance.inference.model.lipsync import LipSync

        return LipSync
    raise AttributeError(f"module 'lipglance' has no attribute {name!r}")
