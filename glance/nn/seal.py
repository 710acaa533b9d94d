"""Beyond the paper: the shape head's seal detector (generator.shape_seal), a closure gate of its own.

The shape head's first closure gate was one more output channel of its shape network, which reads the audio
encoder's features; on the held-out voice it told sealed lips (p/b/m) from open ones at an AUC of 0.88. This
detector reads the window's log-mel itself, at its full time resolution (4 mel frames a video frame), with each
band normalised over the window (so a voice's level and spectral tilt drop out), through a few 1-D convolutions
over time whose receptive field spans the window; it gives one seal logit per video frame. Measured against the
first gate in docs/sync_ablations/README.md ("seal detector").
"""

from __future__ import annotations

import torch
from torch import nn


class SealDetector(nn.Module):
    """Log-mel windows [B, 1, 4T, n_mels] (as the generator gets them) -> seal logits [B, T]."""

    def __init__(self, n_mels: int, width: int = 96) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv1d(n_mels, width, 5, padding=2), nn.GELU(),
                                   nn.Conv1d(width, width, 4, stride=2, padding=1), nn.GELU(),
                                   nn.Conv1d(width, width, 4, stride=2, padding=1), nn.GELU()]
        for d in (1, 2, 4):
            layers += [nn.Conv1d(width, width, 3, padding=d, dilation=d), nn.GELU()]
        self.net = nn.Sequential(*layers, nn.Conv1d(width, 1, 1))

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        x = mel[:, 0]
        x = (x - x.mean(1, keepdim=True)) / (x.std(1, keepdim=True) + 1e-3)
        return self.net(x.transpose(1, 2))[:, 0]
