"""Periodic validation during training: stage-appropriate metrics on the first N validation windows."""

from __future__ import annotations

import numpy as np
import torch

from glance.config import FlowConfig
from glance.data.dataset import LipClipDataset, collate
from glance.eval.metrics import psnr, ssim
from glance.model import GlanceNetworks
from glance.nn.flow import farneback_flow


@torch.no_grad()
def validate(stage: str, nets: GlanceNetworks, ds: LipClipDataset, windows: int, device: torch.device,
             batch: int = 8) -> dict[str, float]:
    """flow: EPE (pixels) vs Farneback; autoencoder: L1, PSNR; gan: `glance evaluate`'s LMD, SSIM, PSNR,
    CPBD on the first N windows (eval mode, fixed data)."""
    n = min(windows, len(ds))
    if n == 0:
        return {}
    if stage == "gan":
        from glance.eval.evaluate import evaluate
        from glance.inference import LipSync

        was = nets.generator.training
        model = LipSync(nets.generator, nets.cfg, ds.stats, True, str(device))
        _, summary = evaluate(model, ds.cache, ds.split, ["lmd", "ssim", "psnr", "cpbd"], n, ds.seed, str(device),
                              progress=False)
        nets.generator.train(was)
        return {k: m for k, (m, _) in summary.items()}
    module = {"flow": nets.flow, "autoencoder": nets.autoencoder, "gan": nets.generator}[stage]
    assert module is not None
    was = module.training
    module.eval()
    sums: dict[str, float] = {}
    for start in range(0, n, batch):
        b = collate([ds[i] for i in range(start, min(n, start + batch))]).to(device)
        if stage == "flow":
            assert nets.flow is not None
            pred = nets.flow.video_flow(b.video).float().cpu().numpy()  # [B, 2, 15, h, w] / div_flow
            for k, v in enumerate(b.video):
                frames = v.permute(1, 2, 3, 0).add(1).mul(127.5).round().byte().cpu().numpy()
                target = farneback_flow(frames, FlowConfig())  # [15, 2, H, W]
                t = target.reshape(15, 2, pred.shape[-2], target.shape[-2] // pred.shape[-2], pred.shape[-1], -1)
                t = t.mean(axis=(3, 5)).transpose(1, 0, 2, 3)
                epe = np.linalg.norm((pred[k] - t) * FlowConfig().div_flow, axis=0).mean()
                sums["epe_px"] = sums.get("epe_px", 0.0) + float(epe)
            continue
        if stage == "autoencoder":
            frames = b.video.transpose(1, 2).reshape(-1, *b.video.shape[1:2], *b.video.shape[3:])
            fake = module(frames)
            real_u8 = frames.add(1).mul(127.5).round().byte().permute(0, 2, 3, 1).cpu().numpy()
        else:
            fake = module(b.mel, b.identity)
            real_u8 = b.video.add(1).mul(127.5).round().byte().permute(0, 2, 3, 4, 1).cpu().numpy()
            real_u8 = real_u8.reshape(-1, *real_u8.shape[2:])
            fake = fake.transpose(1, 2).reshape(-1, *fake.shape[1:2], *fake.shape[3:])
            frames = b.video.transpose(1, 2).reshape(-1, *b.video.shape[1:2], *b.video.shape[3:])
        fake_u8 = fake.float().clamp(-1, 1).add(1).mul(127.5).round().byte().permute(0, 2, 3, 1).cpu().numpy()
        count = len(b.video)
        sums["l1"] = sums.get("l1", 0.0) + float((fake.float() - frames.float()).abs().mean()) * count
        sums["psnr"] = sums.get("psnr", 0.0) + psnr(fake_u8, real_u8)["psnr"] * count
        if stage == "gan":
            sums["ssim"] = sums.get("ssim", 0.0) + ssim(fake_u8, real_u8)["ssim"] * count
    module.train(was)
    return {k: v / n for k, v in sums.items()}
