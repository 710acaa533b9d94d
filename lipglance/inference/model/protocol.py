"""`SpeechModel`: what dubbing (lipglance.inference.video) and live (lipglance.inference.live) call on a model.

`LipSync` (lipglance.inference.model.lipsync) and its onnxruntime subclass satisfy it. The modules above the
model take a model typed by this protocol instead of importing `LipSync`: the model knows nothing of them, and they
need nothing of it but these calls (mouth shapes from speech, the shape head's parts and gate, preparing a photo's
mouth for the shape renderer, writing an mp4).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    import torch

    from lipglance.audio import AudioStats
    from lipglance.config import GlanceConfig
    from lipglance.inference.render.paste import FaceTarget
    from lipglance.inference.render.tongue import Tongue
    from lipglance.inference.render.warp import MouthWarp


class SpeechModel(Protocol):
    config: GlanceConfig
    audio_stats: AudioStats
    device: str
    level: bool  # the speech is brought to the training corpus's level before features
    pause: bool  # shapes close in the recording's own pauses (lipglance.inference.speech.pause_gate)

    @property
    def sample_rate(self) -> int: ...

    @property
    def fps(self) -> int: ...

    def frame_count(self, n_samples: int) -> int: ...

    def shape_gate(self) -> tuple[bool, float, np.ndarray] | None: ...

    def head_parts(self, mels: torch.Tensor) -> np.ndarray: ...

    def stream_shapes(self, audio: np.ndarray, batch: int = 16) -> Iterator[np.ndarray]: ...

    def transcript_shapes(self, audio: np.ndarray, transcript: str) -> np.ndarray: ...

    def transcript_cues(self, audio: np.ndarray, transcript: str) -> tuple[np.ndarray, list[Tongue]]: ...
    def stream_tongues(self, audio: np.ndarray, batch: int = 16) -> Iterator[Tongue]: ...

    def renderer(self, image: np.ndarray, renderer: str = "auto", photo: bool = False) -> str: ...

    def prepare_warp(self, image: np.ndarray, face_index: int = 0, kind: type[MouthWarp] = ...,
                     box: tuple[int, int, int, int] | None = None, target: FaceTarget | None = None) -> MouthWarp: ...

    def save(self, path: str | Path, frames: Iterable[np.ndarray], audio: np.ndarray | str | Path,
             sample_rate: int = 16000, fps: int = 25, crf: int = 18) -> int: ...
