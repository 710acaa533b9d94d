"""Periodic validation during training: stage-appropriate metrics on the first N validation windows."""

from __future__ import annotations

import numpy as np
import torch

from lipglance.data.dataset import LipClipDataset, collate
from lipglance.eval.metrics import psnr, ssim
from lipglance.model import GlanceNetworks
from lipglance.nn.flow import farneback_flow
from lipglance.nn.generator import Generator
from lipglance.pixels import to_u8
from lipglance.shape import CLOSED, WIDE, opening_of


@torch.no_grad()
def validate(stage: str, nets: GlanceNetworks, ds: LipClipDataset, windows: int, device: torch.device,
             batch: int = 8, generator: Generator | None = None) -> dict[str, float]:
    """flow: EPE (pixels) vs Farneback with the run's flow config; autoencoder: L1, PSNR; gan: `lipglance
    evaluate`'s LMD, SSIM, PSNR, CPBD on the first N windows (eval mode, fixed data) of `generator`
    (the EMA generator when the run keeps one: the network that is exported; default nets.generator)."""
    n = min(windows, len(ds))
    if n == 0:
        return {}
    if stage == "gan":
        from lipglance.eval.evaluate import evaluate
        from lipglance.inference.model.lipsync import LipSync

        gen = generator if generator is not None else nets.generator
        was = gen.training
        model = LipSync(gen, nets.cfg, ds.stats, True, str(device))
        _, summary = evaluate(model, ds.cache, ds.split, ["lmd", "ssim", "psnr", "cpbd"], n, ds.seed, str(device),
                              progress=False)
        gen.train(was)
        return {k: m for k, (m, _) in summary.items()}
    if stage == "shape":
        return _validate_shape(nets, ds, n, device)
    module = {"flow": nets.flow, "autoencoder": nets.autoencoder, "gan": nets.generator}[stage]
    assert module is not None
    was = module.training
    module.eval()
    sums: dict[str, float] = {}
    for start in range(0, n, batch):
        b = collate([ds[i] for i in range(start, min(n, start + batch))]).to(device)
        if stage == "flow":
            assert nets.flow is not None
            flow_cfg = nets.cfg.flow  # the run's Farneback parameters and flow scale
            pred = nets.flow.video_flow(b.video).float().cpu().numpy()  # [B, 2, T-1, h, w] / div_flow
            for k, v in enumerate(b.video):
                frames = to_u8(v.permute(1, 2, 3, 0)).cpu().numpy()
                target = farneback_flow(frames, flow_cfg)  # [T-1, 2, H, W]
                t = target.reshape(len(target), 2, pred.shape[-2], target.shape[-2] // pred.shape[-2],
                                   pred.shape[-1], -1)
                t = t.mean(axis=(3, 5)).transpose(1, 0, 2, 3)
                epe = np.linalg.norm((pred[k] - t) * flow_cfg.div_flow, axis=0).mean()
                sums["epe_px"] = sums.get("epe_px", 0.0) + float(epe)
            continue
        if stage == "autoencoder":
            frames = b.video.transpose(1, 2).reshape(-1, *b.video.shape[1:2], *b.video.shape[3:])
            fake = module(frames)
            real_u8 = to_u8(frames).permute(0, 2, 3, 1).cpu().numpy()
        else:
            fake = module(b.mel, b.identity)
            real_u8 = to_u8(b.video).permute(0, 2, 3, 4, 1).cpu().numpy()
            real_u8 = real_u8.reshape(-1, *real_u8.shape[2:])
            fake = fake.transpose(1, 2).reshape(-1, *fake.shape[1:2], *fake.shape[3:])
            frames = b.video.transpose(1, 2).reshape(-1, *b.video.shape[1:2], *b.video.shape[3:])
        fake_u8 = to_u8(fake).permute(0, 2, 3, 1).cpu().numpy()
        count = len(b.video)
        sums["l1"] = sums.get("l1", 0.0) + float((fake.float() - frames.float()).abs().mean()) * count
        sums["psnr"] = sums.get("psnr", 0.0) + psnr(fake_u8, real_u8)["psnr"] * count
        if stage == "gan":
            sums["ssim"] = sums.get("ssim", 0.0) + ssim(fake_u8, real_u8)["ssim"] * count
    module.train(was)
    return {k: v / n for k, v in sums.items()}


def _validate_shape(nets: GlanceNetworks, ds: LipClipDataset, n: int, device: torch.device) -> dict[str, float]:
    """Shape head, on whole clips as inference sees them (windows cross-faded, then the gate), as many clips as
    `n` windows cover: mean absolute landmark error (% of the rest mouth width), the opening's correlation, the
    share of p/b/m frames closed and of clearly open frames closed."""
    from lipglance.inference.model.lipsync import LipSync

    head = nets.generator.shape_head
    assert head is not None
    was = nets.generator.training
    model = LipSync(nets.generator.eval(), nets.cfg, ds.stats, True, str(device))
    preds, truths, sealed, covered = [], [], [], 0
    for i, item in enumerate(ds.items):
        if covered >= n:
            break
        pred, truth = model.shapes_of_mel(np.asarray(ds.cache.mel(item))), ds.clip_shapes(i)
        m = min(len(pred), len(truth))
        preds.append(pred[:m])
        truths.append(truth[:m])
        sealed.append(ds.sealed_frames(i)[:m])
        covered += max(1, (m - ds.frames) // ds.hop + 1)
    nets.generator.train(was)
    pred, truth, seal = np.concatenate(preds), np.concatenate(truths), np.concatenate(sealed).ravel()
    a, t = opening_of(pred).ravel(), opening_of(truth).ravel()
    r = float(np.corrcoef(a, t)[0, 1]) if a.std() > 0 and t.std() > 0 else 0.0
    out = {"shape_l1_pct": float(np.abs(pred - truth).mean() * 100), "opening_r": r}
    if head.gated:
        out["gate_threshold"] = float(head.gate_threshold)
    if seal.any():
        out["bilabial_closure"] = float((a[seal] < CLOSED).mean())
    wide = t > WIDE
    if wide.any():
        out["false_closure"] = float((a[wide] < CLOSED).mean())
    return out
