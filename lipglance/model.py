"""Build every network a config needs, and the generator side of one training step.

`GlanceNetworks` holds generator, discriminator, flow, phi_s, phi_v and autoencoder (None
where the config needs none), with stable state_dict names. `GeneratorSide` is what the G
optimiser trains (G, phi_s, phi_v) in ONE forward, so that DistributedDataParallel can wrap it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from lipglance.config import GlanceConfig
from lipglance.nn import (
    AudioDerivativeEncoder,
    Discriminator,
    FlowNet,
    Generator,
    MotionEncoder,
    PerceptualAutoencoder,
)
from lipglance.nn.flow import frame_differences


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
        self.phi_s: AudioDerivativeEncoder | None = None
        self.phi_v: MotionEncoder | None = None
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


@dataclass
class GeneratorOutput:
    fake: torch.Tensor  # [B, 3, T, H, W]
    audio_feat: torch.Tensor  # E_s(s)
    corr_audio: torch.Tensor | None  # phi_s(E_s(s)) [B, T', K]
    corr_real: torch.Tensor | None  # phi_v(motion of the real video)
    corr_fake: torch.Tensor | None  # phi_v(motion of the generated video)
    motion_real: torch.Tensor | None  # motion streams for the three-stream D
    motion_fake: torch.Tensor | None
    shape: torch.Tensor | None = None  # the shape head's mouth shapes [B, T, 20, 2], when losses.shape > 0


class GeneratorSide(nn.Module):
    """G + phi_s + phi_v in one forward (the frozen flow net is used, not trained)."""

    def __init__(self, nets: GlanceNetworks) -> None:
        super().__init__()
        self.generator = nets.generator
        self.phi_s, self.phi_v = nets.phi_s, nets.phi_v
        self.flow = nets.flow
        self._nets = [nets]  # a plain list: not a registered submodule twice

    def forward(self, mel: torch.Tensor, identity: torch.Tensor, video: torch.Tensor) -> GeneratorOutput:
        nets = self._nets[0]
        audio_feat = self.generator.audio_encoder(mel)
        fake = self.generator.decode(audio_feat, identity)
        d = nets.discriminator
        need_motion = (self.phi_s is not None and nets.cfg.correlation.derivative) or (d is not None and d.uses_motion)
        motion_real = motion_fake = None
        if need_motion:
            with torch.no_grad():
                motion_real = nets.motion(video)
            motion_fake = nets.motion(fake)
        a = b_real = b_fake = None
        if self.phi_s is not None and self.phi_v is not None:
            a = self.phi_s(audio_feat)
            real_in, fake_in = (motion_real, motion_fake) if nets.cfg.correlation.derivative else (video, fake)
            b_real, b_fake = self.phi_v(real_in), self.phi_v(fake_in)
        head = self.generator.shape_head
        shape = head(mel, audio_feat) if head is not None and nets.cfg.losses.shape > 0 else None
        return GeneratorOutput(fake, audio_feat, a, b_real, b_fake, motion_real, motion_fake, shape)


def count_parameters(module: nn.Module | None) -> int:
    return 0 if module is None else sum(p.numel() for p in module.parameters())
