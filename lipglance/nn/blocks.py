"""Small building blocks shared by every network: Conv(+BN+ReLU) and residual blocks."""

from __future__ import annotations

import torch
from torch import nn


def conv2d(cin: int, cout: int, k: int | tuple[int, int] = 3, s: int | tuple[int, int] = 1,
           p: int | tuple[int, int] = 1, bn: bool = True, act: bool = True) -> nn.Sequential:
    """Conv2d (bias only without BN) [+ BatchNorm] [+ ReLU]."""
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, s, p, bias=not bn)]
    if bn:
        layers.append(nn.BatchNorm2d(cout))
    if act:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


def conv3d(cin: int, cout: int, k: int | tuple[int, int, int] = 3, s: int | tuple[int, int, int] = 1,
           p: int | tuple[int, int, int] = 1, bn: bool = True, act: bool = True) -> nn.Sequential:
    """Conv3d (bias only without BN) [+ BatchNorm] [+ ReLU]."""
    layers: list[nn.Module] = [nn.Conv3d(cin, cout, k, s, p, bias=not bn)]
    if bn:
        layers.append(nn.BatchNorm3d(cout))
    if act:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


def up3d(cin: int, cout: int, mode: str = "transpose") -> nn.Sequential:
    """Double H and W, keep T, then BN + ReLU.

    "transpose": ConvTranspose3d k3 s(1,2,2) p1 op(0,1,1) (the paper). "resize": nearest-neighbour
    upsampling then a per-frame Conv3d k(1,3,3), which cannot produce the transposed convolution's
    checkerboard (Odena et al., "Deconvolution and Checkerboard Artifacts", 2016); a temporal kernel
    there would cost 4x the transposed convolution's MACs at the doubled resolution.
    """
    if mode == "transpose":
        up: list[nn.Module] = [nn.ConvTranspose3d(cin, cout, 3, (1, 2, 2), 1, output_padding=(0, 1, 1), bias=False)]
    elif mode == "resize":
        up = [nn.Upsample(scale_factor=(1, 2, 2), mode="nearest"),
              nn.Conv3d(cin, cout, (1, 3, 3), 1, (0, 1, 1), bias=False)]
    else:
        raise ValueError(f"unknown upsampling mode {mode!r} (transpose, resize)")
    return nn.Sequential(*up, nn.BatchNorm3d(cout), nn.ReLU(inplace=True))


def up2d(cin: int, cout: int) -> nn.Sequential:
    """ConvTranspose2d k3 s2 p1 op1 + BN + ReLU: doubles H and W."""
    return nn.Sequential(
        nn.ConvTranspose2d(cin, cout, 3, 2, 1, output_padding=1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class ResBlock3d(nn.Module):
    """x + BN(Conv3d(ReLU(BN(Conv3d(x))))) with per-frame k(1,3,3) kernels."""

    def __init__(self, ch: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            conv3d(ch, ch, (1, 3, 3), 1, (0, 1, 1)),
            conv3d(ch, ch, (1, 3, 3), 1, (0, 1, 1), act=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResBlock2d(nn.Module):
    """x + BN(Conv2d(ReLU(BN(Conv2d(x)))))."""

    def __init__(self, ch: int) -> None:
        super().__init__()
        self.body = nn.Sequential(conv2d(ch, ch), conv2d(ch, ch, act=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def kaiming_init(module: nn.Module) -> None:
    """Kaiming-normal conv/linear weights, zero biases, unit BN scale."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Conv3d, nn.ConvTranspose2d, nn.ConvTranspose3d, nn.Linear)):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


def check_shape(x: torch.Tensor, shape: tuple[int | None, ...], name: str) -> None:
    """Assert `x.shape` matches `shape` (None = any size) with a readable message."""
    ok = x.dim() == len(shape) and all(s is None or s == d for s, d in zip(shape, x.shape, strict=True))
    if not ok:
        want = "[" + ", ".join("*" if s is None else str(s) for s in shape) + "]"
        raise ValueError(f"{name}: expected shape {want}, got {list(x.shape)}")
