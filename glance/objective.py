"""The paper's objective as named, weighted terms over one set of networks (SPEC section 2).

`discriminator_terms` is Eq. 4 (with the mismatch strategy), `generator_terms` is Eq. 2.
Terms whose weight is 0 are not computed; `weighted_total` applies the weights of the config.
"""

from __future__ import annotations

import torch

from glance.batch import Batch
from glance.config import LossWeights
from glance.losses import correlation_loss, gan_loss, perceptual_loss, pixel_loss
from glance.model import GlanceNetworks

TERM_WEIGHTS: dict[str, str] = {
    "g/corr_real": "corr_real",
    "g/corr_fake": "corr_fake",
    "g/pix": "pix",
    "g/perc": "perc",
    "g/adv": "gen",
    "d/real": "d_real",
    "d/fake": "d_fake",
    "d/mismatch": "d_mismatch",
}


def weight_of(term: str, weights: LossWeights) -> float:
    return float(getattr(weights, TERM_WEIGHTS[term]))


def weighted_total(terms: dict[str, torch.Tensor], weights: LossWeights) -> torch.Tensor:
    """Sum of weight * term over the given named terms."""
    total = next(iter(terms.values())).new_zeros(())
    for name, value in terms.items():
        total = total + weight_of(name, weights) * value
    return total


def generate(nets: GlanceNetworks, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
    """Fake video [B, 3, T, H, W] and the E_s audio features it was made from."""
    audio_feat = nets.generator.audio_encoder(batch.mel)
    return nets.generator.decode(audio_feat, batch.identity), audio_feat


def discriminator_terms(nets: GlanceNetworks, batch: Batch, fake: torch.Tensor) -> dict[str, torch.Tensor]:
    """D(v, s) -> real; D(v_hat, s) -> fake; D(v, s_wrong) -> fake. `fake` is detached here."""
    d = nets.discriminator
    if d is None:
        return {}
    fake = fake.detach()
    real_motion = fake_motion = None
    if d.uses_motion:
        with torch.no_grad():
            real_motion, fake_motion = nets.motion(batch.video), nets.motion(fake)
    return {
        "d/real": gan_loss(d(batch.video, batch.mel, real_motion), True),
        "d/fake": gan_loss(d(fake, batch.mel, fake_motion), False),
        "d/mismatch": gan_loss(d(batch.video, batch.wrong_mel, real_motion), False),
    }


def generator_terms(nets: GlanceNetworks, batch: Batch, fake: torch.Tensor,
                    audio_feat: torch.Tensor) -> dict[str, torch.Tensor]:
    """Eq. 2 terms for the generator (and phi_s, phi_v through the correlation terms)."""
    cfg = nets.cfg
    w = cfg.losses
    terms: dict[str, torch.Tensor] = {}
    if w.pix > 0:
        terms["g/pix"] = pixel_loss(fake, batch.video)
    if w.perc > 0 and nets.autoencoder is not None:
        with torch.no_grad():
            real_feat = nets.autoencoder.video_features(batch.video)
        terms["g/perc"] = perceptual_loss(nets.autoencoder.video_features(fake), real_feat)
    fake_motion: torch.Tensor | None = None
    if nets.phi_s is not None and nets.phi_v is not None:
        a = nets.phi_s(audio_feat)
        if cfg.correlation.derivative:
            with torch.no_grad():
                real_motion = nets.motion(batch.video)
            fake_motion = nets.motion(fake)
            real_in, fake_in = real_motion, fake_motion
        else:  # ablation (f): raw audio features vs raw frames
            real_in, fake_in = batch.video, fake
        form, eps = cfg.correlation.form, cfg.correlation.eps
        if w.corr_real > 0:
            terms["g/corr_real"] = correlation_loss(a, nets.phi_v(real_in), form, eps)
        if w.corr_fake > 0:
            terms["g/corr_fake"] = correlation_loss(a, nets.phi_v(fake_in), form, eps)
    d = nets.discriminator
    if w.gen > 0 and d is not None:
        if d.uses_motion and fake_motion is None:
            fake_motion = nets.motion(fake)
        terms["g/adv"] = gan_loss(d(fake, batch.mel, fake_motion if d.uses_motion else None), True)
    return terms
