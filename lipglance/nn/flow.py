"""Motion streams: FlowNetS-style flow net, Farneback pseudo ground truth, multiscale EPE, frame diffs.

The flow net is trained from scratch on OpenCV Farneback flow (targets / div_flow), as the
authors fine-tuned FlowNetS on lip crops; it stays differentiable so the correlation loss
back-propagates through F(generated video).
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from lipglance.config import FlowConfig
from lipglance.nn.blocks import check_shape, kaiming_init


def _conv(cin: int, cout: int, k: int = 3, s: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, s, k // 2, bias=False), nn.BatchNorm2d(cout),
                         nn.LeakyReLU(0.1, inplace=True))


def _deconv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False), nn.LeakyReLU(0.1, inplace=True))


class FlowNet(nn.Module):
    """FlowNetS: frame pair [N, 6, H, W] -> flows at 1/4 .. 1/64 resolution (finest first).

    `forward` returns all five scales (for the multiscale loss); `video_flow` maps a video
    [B, 3, T, H, W] to the finest flow of each consecutive pair, [B, 2, T-1, H/4, W/4].
    """

    def __init__(self, cfg: FlowConfig) -> None:
        super().__init__()
        w = cfg.width
        self.div_flow = cfg.div_flow
        self.conv1 = _conv(6, w, 7, 2)
        self.conv2 = _conv(w, 2 * w, 5, 2)
        self.conv3 = nn.Sequential(_conv(2 * w, 4 * w, 5, 2), _conv(4 * w, 4 * w))
        self.conv4 = nn.Sequential(_conv(4 * w, 8 * w, 3, 2), _conv(8 * w, 8 * w))
        self.conv5 = nn.Sequential(_conv(8 * w, 8 * w, 3, 2), _conv(8 * w, 8 * w))
        self.conv6 = nn.Sequential(_conv(8 * w, 16 * w, 3, 2), _conv(16 * w, 16 * w))
        self.deconv5 = _deconv(16 * w, 8 * w)
        self.deconv4 = _deconv(16 * w + 2, 4 * w)
        self.deconv3 = _deconv(12 * w + 2, 2 * w)
        self.deconv2 = _deconv(6 * w + 2, w)
        self.predict = nn.ModuleList(nn.Conv2d(c, 2, 3, 1, 1) for c in
                                     (16 * w, 16 * w + 2, 12 * w + 2, 6 * w + 2, 3 * w + 2))
        self.upflow = nn.ModuleList(nn.ConvTranspose2d(2, 2, 4, 2, 1, bias=False) for _ in range(4))
        kaiming_init(self)

    def forward(self, pair: torch.Tensor) -> list[torch.Tensor]:
        check_shape(pair, (None, 6, None, None), "FlowNet input")
        c2 = self.conv2(self.conv1(pair))
        c3 = self.conv3(c2)
        c4 = self.conv4(c3)
        c5 = self.conv5(c4)
        x = self.conv6(c5)
        flows = []
        for i, (skip, deconv) in enumerate(((c5, self.deconv5), (c4, self.deconv4),
                                            (c3, self.deconv3), (c2, self.deconv2))):
            flow = self.predict[i](x)
            flows.append(flow)
            x = torch.cat([skip, deconv(x), self.upflow[i](flow)], dim=1)
        flows.append(self.predict[4](x))
        return flows[::-1]

    def video_flow(self, video: torch.Tensor) -> torch.Tensor:
        """Video [B, 3, T, H, W] -> flow of each consecutive pair [B, 2, T-1, H/4, W/4] (/ div_flow)."""
        b, c, t, h, w = video.shape
        pairs = torch.cat([video[:, :, :-1], video[:, :, 1:]], dim=1)  # [B, 6, T-1, H, W]
        pairs = pairs.transpose(1, 2).reshape(b * (t - 1), 2 * c, h, w)
        flow = self.forward(pairs)[0]
        return flow.reshape(b, t - 1, 2, *flow.shape[-2:]).transpose(1, 2)


def multiscale_epe(flows: list[torch.Tensor], target: torch.Tensor,
                   weights: tuple[float, ...]) -> torch.Tensor:
    """Weighted sum over scales of the mean end-point error against the area-downsampled target."""
    check_shape(target, (None, 2, None, None), "flow target")
    loss = target.new_zeros(())
    for flow, weight in zip(flows, weights, strict=True):
        tgt = F.adaptive_avg_pool2d(target, (flow.shape[-2], flow.shape[-1]))
        loss = loss + weight * torch.linalg.vector_norm(flow - tgt, dim=1).mean()
    return loss


def farneback_flow(frames: np.ndarray, cfg: FlowConfig) -> np.ndarray:
    """Pseudo ground truth: uint8 RGB frames [T, H, W, 3] -> flow [T-1, 2, H, W] / div_flow (float32)."""
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"farneback_flow wants uint8 [T, H, W, 3] frames, got {frames.dtype} {frames.shape}")
    grey = [cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames]
    pyr, levels, win, iters, poly_n, poly_sigma = cfg.farneback
    out = np.empty((len(grey) - 1, 2, *grey[0].shape), np.float32)
    for i in range(len(grey) - 1):
        flow = cv2.calcOpticalFlowFarneback(grey[i], grey[i + 1], None, pyr, int(levels), int(win),  # type: ignore[call-overload]
                                            int(iters), int(poly_n), poly_sigma, 0)
        out[i] = flow.transpose(2, 0, 1) / cfg.div_flow
    return out


def frame_differences(video: torch.Tensor, grid: int = 16) -> torch.Tensor:
    """Ablation (i) motion: v[t+1] - v[t], area-pooled to grid x grid -> [B, 3, T-1, grid, grid]."""
    diff = video[:, :, 1:] - video[:, :, :-1]
    return F.adaptive_avg_pool3d(diff, (diff.shape[2], grid, grid))
