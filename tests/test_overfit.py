"""End-to-end smoke: the tiny preset overfits one clip with the L1 loss."""

from __future__ import annotations

import math

import torch

from lipglance.batch import Batch
from lipglance.config import load_config
from lipglance.model import GlanceNetworks
from lipglance.objective import step_terms


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


def test_mouth_mask_hides_the_identity_mouth() -> None:
    """Identity: an open mouth. With the mask the untrained (still-image) generator shows the face with the
    mouth filled by its mean colour in every frame; without it, the open mouth."""
    from lipglance.nn.generator import mask_mouth

    yy, xx = torch.meshgrid(torch.arange(64.0), torch.arange(64.0), indexing="ij")
    face = torch.stack([torch.full((64, 64), 0.4), torch.full((64, 64), 0.0), torch.full((64, 64), -0.2)])
    lips = ((xx - 32) / 20) ** 2 + ((yy - 33) / 9) ** 2 < 1
    face = torch.where(lips, torch.tensor([[[0.6]], [[-0.3]], [[-0.3]]]), face)
    open_mouth = torch.where(((xx - 32) / 16) ** 2 + ((yy - 33) / 6) ** 2 < 1, torch.tensor(-0.9), face)
    mel = torch.full((1, 1, 64, 128), -1.1)
    out = {}
    for spec in ("tiny+b+resize+skips", "tiny+b+resize+skips+mask"):
        torch.manual_seed(0)
        with torch.no_grad():
            out[spec] = GlanceNetworks(load_config(spec)).generator.eval()(mel, open_mouth[None])[0]
    masked = out["tiny+b+resize+skips+mask"]
    expect = mask_mouth(open_mouth[None], 1.0)[0, :, None].expand_as(masked)
    assert torch.allclose(masked, expect, atol=2e-3)
    assert (masked[:, 0] - open_mouth).abs().amax() > 1.0, "the open mouth is gone"
    assert torch.allclose(face[:, :4], masked[:, 0, :4], atol=2e-3), "the nose region is untouched"
    plain = out["tiny+b+resize+skips"]
    assert torch.allclose(plain, open_mouth[:, None].expand_as(plain), atol=2e-3), "without the mask: the open mouth"
