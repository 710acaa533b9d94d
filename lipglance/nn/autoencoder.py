"""Perceptual feature network phi: a per-frame 2D autoencoder trained from scratch.

Layers and training: docs/DESIGN.md, Perceptual autoencoder.
"""

from __future__ import annotations

import torch
from torch import nn

from lipglance.config import AutoencoderConfig
from lipglance.nn.blocks import ResBlock2d, check_shape, conv2d, kaiming_init, up2d


class PerceptualAutoencoder(nn.Module):
    """Frames [N, 3, 64, 64] -> features [N, C, 16, 16] -> reconstruction [N, 3, 64, 64]."""

    def __init__(self, cfg: AutoencoderConfig) -> None:
        super().__init__()
        c0, c1, c2 = cfg.channels
        self.encoder = nn.Sequential(
            nn.ReflectionPad2d(3),
            conv2d(3, c0, 7, 1, 0),
            conv2d(c0, c1, 3, 2, 1),
            conv2d(c1, c2, 3, 2, 1),
            *(ResBlock2d(c2) for _ in range(cfg.res_blocks)),
        )
        self.decoder = nn.Sequential(
            up2d(c2, c1),
            up2d(c1, c0),
            nn.ReflectionPad2d(3),
            nn.Conv2d(c0, 3, 7),
            nn.Tanh(),
        )
        kaiming_init(self)

    def encode(self, frames: torch.Tensor) -> torch.Tensor:
        check_shape(frames, (None, 3, None, None), "PerceptualAutoencoder input")
        return self.encoder(frames)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encode(frames))

    def video_features(self, video: torch.Tensor) -> torch.Tensor:
        """Per-frame features of a video [B, 3, T, H, W] -> [B*T, C, H/4, W/4]."""
        b, c, t, h, w = video.shape
        return self.encode(video.transpose(1, 2).reshape(b * t, c, h, w))
