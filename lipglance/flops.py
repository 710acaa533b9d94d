"""Parameter and multiply-accumulate counts of every preset (for `lipglance info` and benchmarks)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.utils.flop_counter import FlopCounterMode

from lipglance.config import GlanceConfig
from lipglance.model import GlanceNetworks, count_parameters


@dataclass(frozen=True)
class PresetCost:
    name: str
    params: dict[str, int]
    generator_gmac: float  # one 16-frame clip, forward
    discriminator_gmac: float


def gmac(fn: object, *args: torch.Tensor | None) -> float:
    """Giga multiply-accumulates of one call (FLOP counter / 2)."""
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        fn(*args)  # type: ignore[operator]
    return counter.get_total_flops() / 2e9


def preset_cost(cfg: GlanceConfig) -> PresetCost:
    nets = GlanceNetworks(cfg).eval()
    g = cfg.generator
    mel = torch.zeros(1, 1, g.frames * cfg.audio.mels_per_frame, cfg.audio.n_mels)
    image = torch.zeros(1, 3, g.image_size, g.image_size)
    video = torch.zeros(1, 3, g.frames, g.image_size, g.image_size)
    params = {
        "generator": count_parameters(nets.generator),
        "discriminator": count_parameters(nets.discriminator),
        "flow": count_parameters(nets.flow),
        "correlation": count_parameters(nets.phi_s) + count_parameters(nets.phi_v),
        "autoencoder": count_parameters(nets.autoencoder),
    }
    d_gmac = 0.0
    if nets.discriminator is not None:
        motion = torch.zeros(1, cfg.motion_in_channels, g.frames - 1, g.image_size // 4, g.image_size // 4)
        d_gmac = gmac(nets.discriminator, video, mel, motion if nets.discriminator.uses_motion else None)
    return PresetCost(cfg.name, params, gmac(nets.generator, mel, image), d_gmac)
