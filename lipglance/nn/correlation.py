"""phi_s and phi_v: map audio features and motion to one value per frame transition.

Layers and the loss they feed: docs/DESIGN.md, Correlation networks.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from lipglance.config import CorrelationConfig
from lipglance.nn.blocks import check_shape


def _stack(dims: int, chans: tuple[int, ...], stride: tuple[int, int] | tuple[int, int, int],
           signed: bool) -> nn.Sequential:
    """Conv (bias) + BN + ReLU per layer; with `signed` the last layer keeps its sign (no BN/ReLU)."""
    conv = nn.Conv2d if dims == 2 else nn.Conv3d
    bn = nn.BatchNorm2d if dims == 2 else nn.BatchNorm3d
    layers: list[nn.Module] = []
    for i in range(len(chans) - 1):
        layers.append(conv(chans[i], chans[i + 1], 3, stride, 1, bias=True))  # type: ignore[arg-type]
        if not (signed and i == len(chans) - 2):
            layers += [bn(chans[i + 1]), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


class AudioDerivativeEncoder(nn.Module):
    """phi_s: E_s features [B, C, T, F] -> [B, T-1, K] (or [B, T, K] without the derivative)."""

    def __init__(self, cfg: CorrelationConfig, in_channels: int) -> None:
        super().__init__()
        self.derivative = cfg.derivative
        self.in_channels = in_channels
        # The paper's phi ends in ReLU (and can collapse); the Pearson form ends signed.
        self.net = _stack(2, (in_channels, *cfg.audio_channels), (1, 2), signed=cfg.form == "pearson")

    def forward(self, feat: torch.Tensor) -> torch.Tensor:
        check_shape(feat, (None, self.in_channels, None, None), "AudioDerivativeEncoder input")
        if self.derivative:
            feat = feat[:, :, 1:] - feat[:, :, :-1]
        out = self.net(feat)  # [B, K, T', F']
        return out.mean(dim=3).transpose(1, 2)


class MotionEncoder(nn.Module):
    """phi_v: motion [B, Cm, T', 16, 16] (flow, frame differences or pooled frames) -> [B, T', K]."""

    def __init__(self, cfg: CorrelationConfig, in_channels: int, grid: int = 16) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.grid = grid
        chans = (in_channels, *cfg.motion_channels)
        self.net = _stack(3, chans, (1, 2, 2), signed=cfg.form == "pearson")

    def forward(self, motion: torch.Tensor) -> torch.Tensor:
        check_shape(motion, (None, self.in_channels, None, None, None), "MotionEncoder input")
        if motion.shape[-1] != self.grid:
            motion = F.adaptive_avg_pool3d(motion, (motion.shape[2], self.grid, self.grid))
        out = self.net(motion)  # [B, K, T', h, w]
        return out.mean(dim=(3, 4)).transpose(1, 2)
