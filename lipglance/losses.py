"""Loss functions (docs/DESIGN.md, Losses and weights). Networks return tensors; every loss lives here."""

from __future__ import annotations

from typing import Literal

import torch
from torch.nn import functional as F


def correlation_loss(a: torch.Tensor, b: torch.Tensor, form: Literal["cosine", "pearson"] = "pearson",
                     eps: float = 1e-8) -> torch.Tensor:
    """1 - cos(a, b) per sample, averaged; a, b: [B, T, K], pooled over K to [B, T] first.

    "cosine" is the paper's form. "pearson" mean-centres both vectors over time first, so a
    constant output has zero correlation (loss 1) and earns no reward.
    """
    if a.shape != b.shape or a.dim() != 3:
        raise ValueError(f"correlation_loss: want [B, T, K] pairs, got {list(a.shape)}, {list(b.shape)}")
    x, y = a.mean(dim=2), b.mean(dim=2)
    if form == "pearson":
        x = x - x.mean(dim=1, keepdim=True)
        y = y - y.mean(dim=1, keepdim=True)
    elif form != "cosine":
        raise ValueError(f"unknown correlation form {form!r}")
    cos = (x * y).sum(1) / torch.sqrt((x.square().sum(1) + eps) * (y.square().sum(1) + eps))
    return (1.0 - cos).mean()


def pixel_loss(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """Mean absolute error between generated and real video."""
    return F.l1_loss(fake, real)


def perceptual_loss(fake_feat: torch.Tensor, real_feat: torch.Tensor) -> torch.Tensor:
    """MSE between perceptual-encoder features of generated and real frames."""
    return F.mse_loss(fake_feat, real_feat)


def gan_loss(logits: torch.Tensor, real: bool) -> torch.Tensor:
    """BCE-with-logits against an all-real or all-fake target (non-saturating for G)."""
    target = torch.ones_like(logits) if real else torch.zeros_like(logits)
    return F.binary_cross_entropy_with_logits(logits, target)


def gate_loss(logit: torch.Tensor, sealed: torch.Tensor, pos_weight: float) -> torch.Tensor:
    """Binary cross-entropy of the shape head's closure logits [B, T] against sealed-lip flags [B, T]."""
    return F.binary_cross_entropy_with_logits(logit, sealed, pos_weight=logit.new_tensor(pos_weight))


def width_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean absolute error of the mouth width (corner points 0 and 6 of shapes [B, T, 20, 2]), in percent of the
    rest mouth width (lipglance.shape.width_of)."""
    def width(s: torch.Tensor) -> torch.Tensor:
        return s[..., 6, 0] - s[..., 0, 0]

    return 100.0 * (width(pred) - width(target)).abs().mean()


def shape_loss(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
    """Mean absolute error of mouth shapes [B, T, 20, 2] (lipglance.shape), in percent of the rest mouth width;
    frames weighted by `weight` [B, T] (normalised to mean 1) when given."""
    err = (pred - target).abs().mean((-2, -1))
    if weight is not None:
        err = err * weight / weight.mean()
    return 100.0 * err.mean()
