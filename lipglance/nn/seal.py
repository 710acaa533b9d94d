"""Beyond the paper: the shape head's seal detector (generator.shape_seal), a closure gate of its own.

The shape head's first closure gate was one more output channel of its shape network, which reads the audio
encoder's features; on the held-out voice it told sealed lips (p/b/m) from open ones at an AUC of 0.88. This
detector reads the window's log-mel itself, at its full time resolution (4 mel frames a video frame), with each
band normalised over the window (so a voice's level and spectral tilt drop out), through a few 1-D convolutions
over time whose receptive field spans the window; it gives one seal logit per video frame. Measured against the
first gate in docs/sync_ablations/README.md ("seal detector").

`SealTrack` (generator.seal_track) hears more: a conv front end and a two-layer bidirectional GRU over chunks of
~2 s of log-mel, each band normalised over its chunk; chunks overlap by half and are cross-faded, so memory does
not grow with the recording. It is fitted onto a trained shape head by `lipglance seal` (lipglance.seal_fit).

`RoundTrack` (generator.round_track) is the same network regressing the mouth's width instead (corner to corner, in
rest widths, minus 1: lipglance.shape.width_of), fitted by `lipglance seal --round`; where it is fitted,
whole-recording inference scales each open frame's shape horizontally about the mouth's centre to the track's width
(lipglance.inference.model.windows.fit_width), so the rounding comes from ~2 s of sound rather than one window.
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


class SealTrack(nn.Module):
    """Raw log-mel chunks [B, 4F, n_mels] (as the cache stores them) -> seal logits [B, F], one per video frame;
    `threshold` (set on the validation split by `lipglance seal`) is where a logit seals the lips; `fitted` is 1 once
    trained (a track without weights is ignored)."""

    threshold: torch.Tensor
    fitted: torch.Tensor

    def __init__(self, n_mels: int, width: int = 96, hidden: int = 64) -> None:
        super().__init__()
        self.front = nn.Sequential(nn.Conv1d(n_mels, width, 5, padding=2), nn.GELU(),
                                   nn.Conv1d(width, width, 5, padding=2, stride=2), nn.GELU(),
                                   nn.Conv1d(width, width, 3, padding=1, stride=2), nn.GELU())
        self.rnn = nn.GRU(width, hidden, num_layers=2, batch_first=True, bidirectional=True, dropout=0.1)
        self.out = nn.Linear(2 * hidden, 1)
        self.register_buffer("threshold", torch.zeros(()))
        self.register_buffer("fitted", torch.zeros(()))

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        x = (mel - mel.mean(1, keepdim=True)) / (mel.std(1, keepdim=True) + 1e-3)
        h, _ = self.rnn(self.front(x.transpose(1, 2)).transpose(1, 2))
        return self.out(h).squeeze(-1)


class RoundTrack(SealTrack):
    """`SealTrack`'s network as a width regressor: raw log-mel chunks [B, 4F, n_mels] -> the mouth's width minus the
    rest width per frame [B, F] (rest widths). Calibrated on the validation split by `lipglance seal --round`: the
    width drawn is `centre + gain * (prediction - centre)`; `rest_x` [20] holds the rest mouth's point x positions
    about its centre, in rest widths (corners at -0.5 and 0.5), the mean of the training split's rest mouths, about
    which a shape is scaled to that width."""

    gain: torch.Tensor
    centre: torch.Tensor
    rest_x: torch.Tensor

    def __init__(self, n_mels: int, width: int = 96, hidden: int = 64) -> None:
        super().__init__(n_mels, width, hidden)
        self.register_buffer("gain", torch.ones(()))
        self.register_buffer("centre", torch.zeros(()))
        self.register_buffer("rest_x", torch.zeros(20))

    def widths(self, raw: torch.Tensor) -> torch.Tensor:
        """The calibrated widths (1 = rest) of the network's outputs `raw` [..., F]."""
        return 1.0 + self.centre + self.gain * (raw - self.centre)
