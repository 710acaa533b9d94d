"""Build every network a config needs, as one module tree with stable state_dict names."""

from __future__ import annotations

import torch
from torch import nn

from glance.config import GlanceConfig
from glance.nn import (
    AudioDerivativeEncoder,
    Discriminator,
    FlowNet,
    Generator,
    MotionEncoder,
    PerceptualAutoencoder,
)
from glance.nn.flow import frame_differences


def uses_correlation(cfg: GlanceConfig) -> bool:
    return cfg.losses.corr_real > 0 or cfg.losses.corr_fake > 0


class GlanceNetworks(nn.Module):
    """generator, discriminator, flow, phi_s, phi_v, autoencoder (None where the config needs none)."""

    def __init__(self, cfg: GlanceConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.generator = Generator(cfg.generator, cfg.audio)
        d = cfg.discriminator
        self.discriminator = (Discriminator(d, cfg.generator, cfg.audio, cfg.motion_in_channels)
                              if d.kind != "none" and cfg.losses.gen > 0 else None)
        corr = uses_correlation(cfg)
        needs_motion = corr or (self.discriminator is not None and self.discriminator.uses_motion)
        self.flow = FlowNet(cfg.flow) if needs_motion and cfg.motion == "flow" else None
        self.phi_s = self.phi_v = None
        if corr:
            self.phi_s = AudioDerivativeEncoder(cfg.correlation, cfg.generator.audio_channels[-1])
            phi_v_in = cfg.motion_in_channels if cfg.correlation.derivative else 3
            self.phi_v = MotionEncoder(cfg.correlation, phi_v_in, cfg.generator.image_size // 4)
        self.autoencoder = PerceptualAutoencoder(cfg.autoencoder) if cfg.losses.perc > 0 else None

    def motion(self, video: torch.Tensor) -> torch.Tensor:
        """Motion stream of a video [B, 3, T, H, W] -> [B, Cm, T-1, H/4, W/4] (flow or frame diffs)."""
        if self.flow is not None:
            return self.flow.video_flow(video)
        return frame_differences(video, self.cfg.generator.image_size // 4)


def count_parameters(module: nn.Module | None) -> int:
    return 0 if module is None else sum(p.numel() for p in module.parameters())
