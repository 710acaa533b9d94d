"""The model's three tracks (beyond the paper; lipglance.nn.seal): recurrent detectors that hear ~2 s of log-mel around
each frame, fitted onto a trained shape head by `lipglance seal` (the seal track: p/b/m closure), `--round` (the
round track: the open mouth's width) and `--tongue` (the tongue track: the tip raised on l).

`Tracks` is the part of `LipSync` that runs them: over a recording in chunks of their own length (hop half a chunk,
cross-faded as the shape head's windows are, lipglance.inference.model.windows.crossfade), and on a cache's raw log-mel
for fitting and scoring (`*_of_mel`). A track is used only where the model holds a fitted one and `track` is on
(`LipSync(track=False)` and the live path use the head's own gate and widths and draw no tip from the sound). The ONNX
backend (lipglance.inference.onnx.backend) overrides the per-track network calls (`*_frames`, `track_shift`,
`round_rest`, `tongue_threshold`, `track_logits`, `round_widths`, `tongue_logits`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import torch

from lipglance.config import GlanceConfig
from lipglance.errors import UserError
from lipglance.inference.model.threads import one_thread
from lipglance.inference.model.windows import crossfade
from lipglance.inference.render.tongue import Tongue, raised_by
from lipglance.nn import Generator


class Tracks:
    """The seal, round and tongue tracks of a `LipSync` (see the module doc)."""

    generator: Generator
    config: GlanceConfig
    track: bool
    device: str

    def _cached_mel(self, mel: np.ndarray) -> tuple[Callable[[int, int], torch.Tensor], int]:
        raise NotImplementedError  # LipSync's

    def _tongues(self, mel_at: Callable[[int, int], torch.Tensor], n: int, batch: int) -> Iterator[Tongue]:
        threshold = self.tongue_threshold()
        for logit in one_thread(self._run(mel_at, n, self.tongue_frames(), batch, self.tongue_logits)):
            yield Tongue(raised=raised_by(float(logit) - threshold))

    def tongue_logits_of_mel(self, mel: np.ndarray, batch: int = 16) -> np.ndarray:
        """The tongue track's logit per frame [T] (chunks cross-faded, as inference uses them) for a raw log-mel
        [4T, n_mels] as a cache stores it; needs a tongue track (fitted or not: `lipglance seal --tongue`)."""
        return self._of_mel(mel, self.config.generator.tongue_track, self.tongue_logits, batch,
                            "no tongue track: fit one with `lipglance seal --tongue`")

    def seal_logits_of_mel(self, mel: np.ndarray, batch: int = 16) -> np.ndarray:
        """The seal track's logit per frame [T] (chunks cross-faded, as inference uses them) for a raw log-mel
        [4T, n_mels] as a cache stores it; needs a model with a seal track (`lipglance seal`)."""
        return self._of_mel(mel, self.config.generator.seal_track, self.track_logits, batch,
                            "no seal track: fit one with `lipglance seal`")

    def round_widths_of_mel(self, mel: np.ndarray, batch: int = 16) -> np.ndarray:
        """The round track's calibrated mouth width per frame [T] (1 = rest; chunks cross-faded, as inference uses
        them) for a raw log-mel [4T, n_mels] as a cache stores it; needs a fitted round track (`lipglance seal
        --round`)."""
        return self._of_mel(mel, self.round_frames(), self.round_widths, batch,
                            "no fitted round track: fit one with `lipglance seal --round`")

    @torch.inference_mode()
    def _of_mel(self, mel: np.ndarray, frames: int, call: Callable[[torch.Tensor], np.ndarray], batch: int,
                missing: str) -> np.ndarray:
        """A track's outputs per frame [T] (`call` on chunks of `frames`, cross-faded) for a raw log-mel [4T, n_mels];
        UserError "this model has `missing`" when `frames` is 0."""
        if not frames:
            raise UserError(f"this model has {missing}")
        mel_at, n = self._cached_mel(mel)
        return np.array(list(self._run(mel_at, n, frames, batch, call)), np.float32)

    def _round_widths(self, mel_at: Callable[[int, int], torch.Tensor], n: int, batch: int) -> Iterator[float]:
        for width in self._run(mel_at, n, self.config.generator.round_track, batch, self.round_widths):
            yield float(width)

    def _run(self, mel_at: Callable[[int, int], torch.Tensor], n: int, frames: int, batch: int,
             call: Callable[[torch.Tensor], np.ndarray]) -> Iterator[np.ndarray]:
        """A track's output per frame over `n` frames: `call` on each chunk of `frames` frames, cross-faded."""
        return crossfade(self._track_chunks(mel_at, n, frames, batch, call), n, frames)

    def _track_chunks(self, mel_at: Callable[[int, int], torch.Tensor], n: int, frames: int, batch: int,
                      call: Callable[[torch.Tensor], np.ndarray]) -> Iterator[np.ndarray]:
        """`call`'s outputs [frames] (a track's logits or widths) of each chunk of `frames` frames over `n` frames
        (hop frames/2)."""
        mpf, hop = self.config.audio.mels_per_frame, frames // 2
        count = max(1, -(-(n - frames) // hop) + 1)
        for first in range(0, count, batch):
            mels = torch.stack([mel_at(i * hop * mpf, frames * mpf) for i in range(first, min(first + batch, count))])
            yield from call(mels.to(self.device))

    # The seal track (lipglance.nn.seal.SealTrack, `lipglance seal`): used where it is fitted, by whole-recording
    # inference (the ONNX backend overrides these three calls); the live path decides on the gate's own logit.
    def track_frames(self) -> int:
        """Frames of a seal-track chunk; 0 when the model has no fitted track."""
        return self._fitted("track", self.config.generator.seal_track)

    def track_shift(self) -> float:
        """What moves the track's logit onto the gate's threshold (the gate then decides as for its own logit)."""
        head = self.generator.shape_head
        assert head is not None and head.track is not None
        return float(head.gate_threshold) - float(head.track.threshold)

    def track_logits(self, mels: torch.Tensor) -> np.ndarray:
        """The seal track on raw log-mel chunks [B, 4F, n_mels]: logits [B, F]."""
        head = self.generator.shape_head
        assert head is not None and head.track is not None
        return head.track(mels).detach().float().cpu().numpy()

    # The round track (lipglance.nn.seal.RoundTrack, `lipglance seal --round`): used where it is fitted, by
    # whole-recording inference in PyTorch; the ONNX backend and the live path keep the head's own widths.
    def round_frames(self) -> int:
        """Frames of a round-track chunk; 0 when the model has no fitted round track (or `track` is off)."""
        return self._fitted("round", self.config.generator.round_track)

    def round_rest(self) -> np.ndarray:
        """The round track's rest mouth x positions [20] (lipglance.inference.model.windows.fit_width)."""
        head = self.generator.shape_head
        assert head is not None and head.round is not None
        return head.round.rest_x.float().cpu().numpy()

    def round_widths(self, mels: torch.Tensor) -> np.ndarray:
        """The round track on raw log-mel chunks [B, 4F, n_mels]: calibrated widths [B, F] (1 = rest)."""
        head = self.generator.shape_head
        assert head is not None and head.round is not None
        return head.round.widths(head.round(mels)).detach().float().cpu().numpy()

    # The tongue track (`lipglance seal --tongue`): whole-recording inference draws the raised tip where it fires and
    # no transcript is given (the ONNX backend overrides these three calls); the live path draws no tip from the sound.
    def tongue_frames(self) -> int:
        """Frames of a tongue-track chunk; 0 when the model has no fitted tongue track (or `track` is off)."""
        return self._fitted("tongue", self.config.generator.tongue_track)

    def _fitted(self, name: str, frames: int) -> int:
        """`frames` when the shape head holds a fitted track `name` ("track", "round", "tongue") and `track` is on,
        else 0."""
        head = self.generator.shape_head
        module = None if head is None or not self.track else getattr(head, name)
        return frames if module is not None and bool(module.fitted) else 0

    def tongue_threshold(self) -> float:
        """Where the tongue track's logit raises the tip (set by `lipglance seal --tongue`)."""
        head = self.generator.shape_head
        assert head is not None and head.tongue is not None
        return float(head.tongue.threshold)

    def tongue_logits(self, mels: torch.Tensor) -> np.ndarray:
        """The tongue track on raw log-mel chunks [B, 4F, n_mels]: logits [B, F] of the tip raised."""
        head = self.generator.shape_head
        assert head is not None and head.tongue is not None
        return head.tongue(mels).detach().float().cpu().numpy()
