"""The paper's objective as named, weighted terms (docs/DESIGN.md, Losses and weights).

`discriminator_terms` is Eq. 4 with the mismatch strategy (one D forward over real, fake and
mismatched pairs), `generator_terms` is Eq. 2. Terms whose weight is 0 are not computed;
`weighted_total` applies the weights of the config.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from lipglance.batch import Batch
from lipglance.config import GlanceConfig, LossWeights
from lipglance.losses import correlation_loss, gan_loss, perceptual_loss, pixel_loss, shape_loss
from lipglance.model import GeneratorOutput, GeneratorSide, GlanceNetworks

TERM_WEIGHTS: dict[str, str] = {
    "g/corr_real": "corr_real",
    "g/corr_fake": "corr_fake",
    "g/pix": "pix",
    "g/perc": "perc",
    "g/adv": "gen",
    "g/shape": "shape",
    "d/real": "d_real",
    "d/fake": "d_fake",
    "d/mismatch": "d_mismatch",
}

DiscriminatorFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor | None], torch.Tensor]


def weight_of(term: str, weights: LossWeights) -> float:
    return float(getattr(weights, TERM_WEIGHTS[term]))


def weighted_total(terms: dict[str, torch.Tensor], weights: LossWeights) -> torch.Tensor:
    """Sum of weight * term over the given named terms."""
    total = next(iter(terms.values())).new_zeros(())
    for name, value in terms.items():
        total = total + weight_of(name, weights) * value
    return total


def _d_logits(d: DiscriminatorFn, batch: Batch, out: GeneratorOutput, detach: bool) -> torch.Tensor:
    """D over [real; fake; mismatched] pairs in one forward, so D's BatchNorm sees the same batch
    composition whether D or G is being trained (a fake-only batch would be normalised differently)."""
    fake = out.fake.detach() if detach else out.fake
    video = torch.cat([batch.video, fake, batch.video])
    mel = torch.cat([batch.mel, batch.mel, batch.wrong_mel])
    motion = None
    if out.motion_real is not None and out.motion_fake is not None:
        motion_fake = out.motion_fake.detach() if detach else out.motion_fake
        motion = torch.cat([out.motion_real.detach(), motion_fake, out.motion_real.detach()])
    return d(video, mel, motion)


def discriminator_terms(d: DiscriminatorFn, batch: Batch, out: GeneratorOutput) -> dict[str, torch.Tensor]:
    """D(v, s) -> real; D(v_hat, s) -> fake; D(v, s_wrong) -> fake, in one forward (fake detached)."""
    b = len(batch)
    logits = _d_logits(d, batch, out, detach=True)
    return {
        "d/real": gan_loss(logits[:b], True),
        "d/fake": gan_loss(logits[b:2 * b], False),
        "d/mismatch": gan_loss(logits[2 * b:], False),
    }


def generator_terms(cfg: GlanceConfig, batch: Batch, out: GeneratorOutput, d: DiscriminatorFn | None,
                    perceptual: Callable[[torch.Tensor], torch.Tensor] | None) -> dict[str, torch.Tensor]:
    """Eq. 2 terms for the generator (and phi_s, phi_v through the correlation terms)."""
    w = cfg.losses
    terms: dict[str, torch.Tensor] = {}
    if w.pix > 0:
        terms["g/pix"] = pixel_loss(out.fake, batch.video)
    if w.perc > 0 and perceptual is not None:
        with torch.no_grad():
            real_feat = perceptual(batch.video)
        terms["g/perc"] = perceptual_loss(perceptual(out.fake), real_feat)
    form, eps = cfg.correlation.form, cfg.correlation.eps
    if out.corr_audio is not None and out.corr_real is not None and w.corr_real > 0:
        terms["g/corr_real"] = correlation_loss(out.corr_audio, out.corr_real, form, eps)
    if out.corr_audio is not None and out.corr_fake is not None and w.corr_fake > 0:
        terms["g/corr_fake"] = correlation_loss(out.corr_audio, out.corr_fake, form, eps)
    if w.shape > 0 and out.shape is not None and "shape" in batch.extra:
        terms["g/shape"] = shape_loss(out.shape, batch.extra["shape"], batch.extra.get("shape_weight"))
    if w.gen > 0 and d is not None:
        b = len(batch)
        terms["g/adv"] = gan_loss(_d_logits(d, batch, out, detach=False)[b:2 * b], True)
    return terms


def step_terms(nets: GlanceNetworks, batch: Batch) -> tuple[GeneratorOutput, dict[str, torch.Tensor],
                                                              dict[str, torch.Tensor]]:
    """Convenience for tests and benchmarks: one forward, D terms and G terms (no DDP)."""
    out = GeneratorSide(nets)(batch.mel, batch.identity, batch.video)
    d = nets.discriminator
    d_terms = discriminator_terms(d, batch, out) if d is not None else {}
    ae = nets.autoencoder
    g_terms = generator_terms(nets.cfg, batch, out, d, ae.video_features if ae is not None else None)
    return out, d_terms, g_terms
