"""glance: speech + ONE lip or face image -> a video of those lips saying the speech.

An implementation of "Lip Movements Generation at a Glance" (Chen et al., ECCV 2018).
"""

__version__ = "0.1.0"

from glance.inference import LipSync  # noqa: E402

__all__ = ["LipSync", "__version__"]
