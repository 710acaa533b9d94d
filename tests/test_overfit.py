"""End-to-end smoke: the tiny preset overfits one clip with the L1 loss."""

from __future__ import annotations

import math

import torch

from glance.batch import Batch
from glance.config import load_config
from glance.model import GlanceNetworks
from glance.objective import step_terms


def test_tiny_overfits_one_clip_in_50_steps() -> None:
    torch.manual_seed(0)
    cfg = load_config("tiny+b")
    nets = GlanceNetworks(cfg).train()
    # One real-looking clip: a dark "mouth" ellipse that opens and closes over 16 frames.
    yy, xx = torch.meshgrid(torch.arange(64.0), torch.arange(64.0), indexing="ij")
    frames = []
    for t in range(16):
        opening = 4 + 8 * abs(torch.sin(torch.tensor(t / 3.0)))
        inside = ((xx - 32) / 18) ** 2 + ((yy - 34) / opening) ** 2 < 1
        frame = torch.stack([torch.full((64, 64), 0.5), torch.full((64, 64), 0.1), torch.full((64, 64), 0.0)])
        frames.append(torch.where(inside, torch.tensor(-0.8), frame))
    video = torch.stack(frames, dim=1)[None]
    mel = torch.randn(1, 1, 64, 128)
    batch = Batch(video=video, mel=mel, identity=video[:, :, 0], wrong_mel=torch.randn_like(mel))
    opt = torch.optim.Adam(nets.generator.parameters(), lr=cfg.train.lr, betas=cfg.train.betas)
    losses = []
    for _ in range(50):
        loss = step_terms(nets, batch)[2]["g/pix"]
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] <= 0.5 * losses[0], losses


def test_identity_skips_start_from_the_face_and_learn_the_mouth_sooner() -> None:
    """A finely textured face (detail finer than the 16x16 fusion grid) whose mouth opens and closes."""
    torch.manual_seed(0)
    texture = torch.nn.functional.interpolate(torch.rand(1, 3, 32, 32) * 0.6 - 0.3, size=64, mode="bilinear")[0]
    yy, xx = torch.meshgrid(torch.arange(64.0), torch.arange(64.0), indexing="ij")
    frames = []
    for t in range(16):
        inside = ((xx - 32) / 18) ** 2 + ((yy - 34) / (2 + 8 * abs(math.sin(t / 3.0)))) ** 2 < 1
        frames.append(torch.where(inside, torch.tensor(-0.8), texture))
    video = torch.stack(frames, dim=1)[None]
    mel = torch.randn(1, 1, 64, 128)
    batch = Batch(video=video, mel=mel, identity=video[:, :, 0], wrong_mel=torch.randn_like(mel))
    first, final = {}, {}
    for spec in ("tiny+b+resize", "tiny+b+resize+skips"):
        torch.manual_seed(0)
        cfg = load_config(spec)
        nets = GlanceNetworks(cfg).train()
        opt = torch.optim.Adam(nets.generator.parameters(), lr=cfg.train.lr, betas=cfg.train.betas)
        for _ in range(40):
            loss = step_terms(nets, batch)[2]["g/pix"]
            opt.zero_grad()
            loss.backward()
            opt.step()
            first.setdefault(spec, loss.item())
        final[spec] = loss.item()
    with torch.no_grad():  # at initialisation, the skip generator outputs the identity image itself
        still = GlanceNetworks(load_config("tiny+b+resize+skips")).generator.eval()(mel, batch.identity)
    assert torch.allclose(still, batch.identity[:, :, None].expand_as(still), atol=2e-3)
    assert final["tiny+b+resize+skips"] < 0.5 * final["tiny+b+resize"], (first, final)
