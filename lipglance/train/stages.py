"""What differs between the three training stages: networks, optimisers, data, and exports."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from lipglance.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from lipglance.config import FlowConfig, GlanceConfig
from lipglance.data.dataset import LipClipDataset
from lipglance.errors import UserError
from lipglance.model import GlanceNetworks
from lipglance.nn.flow import farneback_flow, multiscale_epe
from lipglance.nn.generator import Generator, ShapeHead
from lipglance.pixels import to_u8
from lipglance.shape import WIDE, ShapeBasis, opening_of

STAGES = ("flow", "autoencoder", "gan", "shape")
EXPORTS = {"flow": "flow.safetensors", "autoencoder": "autoencoder.safetensors", "gan": "generator.safetensors",
           "shape": "shape.safetensors"}
STAGE_MODULE = {"gan": "generator", "shape": "shape_head"}  # the trained module of a stage, where not its name


class FlowWindows(LipClipDataset):
    """Windows plus Farneback pseudo ground truth for the 15 consecutive pairs: [15, 2, H, W]."""

    def __init__(self, *args: object, flow: FlowConfig, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.flow_cfg = flow

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        sample = super().__getitem__(index)
        frames = to_u8(sample["video"].permute(1, 2, 3, 0)).numpy()
        sample["flow"] = torch.from_numpy(farneback_flow(np.ascontiguousarray(frames), self.flow_cfg))
        return sample


def flow_loss(flow_net: nn.Module, video: torch.Tensor, target: torch.Tensor,
              weights: tuple[float, ...]) -> torch.Tensor:
    """Multiscale EPE of the flow net on all consecutive pairs of a batch of windows."""
    b, c, t, h, w = video.shape
    pairs = torch.cat([video[:, :, :-1], video[:, :, 1:]], dim=1).transpose(1, 2).reshape(b * (t - 1), 2 * c, h, w)
    return multiscale_epe(flow_net(pairs), target.reshape(b * (t - 1), 2, h, w), weights)


def autoencoder_frames(video: torch.Tensor, every: int = 5) -> torch.Tensor:
    """Every `every`-th frame of a batch of windows [B, 3, T, H, W] -> [N, 3, H, W]."""
    return video[:, :, ::every].transpose(1, 2).reshape(-1, *video.shape[1:2], *video.shape[3:])


@dataclass
class StageSetup:
    modules: dict[str, nn.Module]  # trained here, saved in the training state
    optimizers: dict[str, torch.optim.Optimizer]
    frozen: dict[str, nn.Module] = field(default_factory=dict)


def build_stage(stage: str, cfg: GlanceConfig, nets: GlanceNetworks, run: Path, device: torch.device) -> StageSetup:
    t = cfg.train
    if stage == "flow":
        if nets.flow is None:
            raise UserError(f"config {cfg.name} uses no flow network (motion = {cfg.motion}, no correlation/"
                            "three-stream D): skip the flow stage")
        return StageSetup({"flow": nets.flow}, {"flow": torch.optim.Adam(
            nets.flow.parameters(), lr=t.flow_lr, weight_decay=t.flow_weight_decay)})
    if stage == "autoencoder":
        if nets.autoencoder is None:
            raise UserError(f"config {cfg.name} has no perceptual loss: skip the autoencoder stage")
        return StageSetup({"autoencoder": nets.autoencoder}, {"autoencoder": torch.optim.Adam(
            nets.autoencoder.parameters(), lr=t.autoencoder_lr, betas=t.betas)})
    if stage == "shape":
        return _shape_stage(cfg, nets, run)
    frozen: dict[str, nn.Module] = {}
    for name, module in (("flow", nets.flow), ("autoencoder", nets.autoencoder)):
        if module is None:
            continue
        path = run / EXPORTS[name]
        if not path.is_file():
            raise UserError(f"the GAN stage needs {path}: run `lipglance train {name} --config {cfg.name} "
                            f"--data DATA --out {run}` first (or `lipglance train all`)")
        try:
            module.load_state_dict(load_checkpoint(path, kind=name).tensors)
        except RuntimeError as e:
            raise CheckpointError(f"{path} does not fit config {cfg.name}: {str(e).splitlines()[0]}") from None
        module.requires_grad_(False).eval()
        frozen[name] = module
    modules: dict[str, nn.Module] = {"generator": nets.generator}
    optimizers: dict[str, torch.optim.Optimizer] = {
        "generator": torch.optim.Adam(nets.generator.parameters(), lr=t.lr, betas=t.betas)}
    if nets.discriminator is not None:
        modules["discriminator"] = nets.discriminator
        optimizers["discriminator"] = torch.optim.Adam(nets.discriminator.parameters(), lr=t.lr, betas=t.betas)
    if nets.phi_s is not None and nets.phi_v is not None:
        modules["phi_s"], modules["phi_v"] = nets.phi_s, nets.phi_v
        optimizers["correlation"] = torch.optim.Adam(
            [*nets.phi_s.parameters(), *nets.phi_v.parameters()], lr=t.corr_lr, weight_decay=t.corr_weight_decay)
    return StageSetup(modules, optimizers, frozen)


def _shape_stage(cfg: GlanceConfig, nets: GlanceNetworks, run: Path) -> StageSetup:
    """The shape head alone, on the run's trained generator (frozen): `lipglance.shape`."""
    head = nets.generator.shape_head
    if head is None:
        raise UserError(f"config {cfg.name} has no shape head: add the `shape` config (e.g. {cfg.name}+shape)")
    path = run / EXPORTS["gan"]
    if not path.is_file():
        raise UserError(f"the shape stage needs a trained generator at {path}: run the gan stage first "
                        "(or copy a generator checkpoint there)")
    tensors = {k: v for k, v in load_checkpoint(path, kind="generator").tensors.items()
               if not k.startswith(("motion.", "shape_head."))}
    try:
        nets.generator.load_state_dict(tensors, strict=False)
        missing = set(nets.generator.state_dict()) - set(tensors)
        if any(not k.startswith("shape_head.") for k in missing):
            raise RuntimeError(f"missing {sorted(missing)[:3]}")
    except RuntimeError as e:
        raise CheckpointError(f"{path} does not fit config {cfg.name}: {str(e).splitlines()[0]}") from None
    if head.encoder is not None:  # its own E_s starts as the trained one (a resumed run then loads its own)
        head.encoder.load_state_dict(nets.generator.audio_encoder.state_dict())
    nets.generator.requires_grad_(False).eval()
    head.requires_grad_(True).train()
    return StageSetup({"shape_head": head}, {"shape_head": torch.optim.Adam(
        head.parameters(), lr=cfg.train.shape_lr)}, {"generator": nets.generator})


def fit_basis(head: ShapeHead, ds: LipClipDataset, clips: int = 600) -> None:
    """Fill the shape head's PCA basis and its mean sealed (p/b/m) shape from up to `clips` clips spread over
    the dataset's split."""
    idx = range(0, len(ds.items), max(1, len(ds.items) // clips))
    shapes = np.concatenate([ds.clip_shapes(i) for i in idx])
    sealed = np.concatenate([ds.sealed_frames(i) for i in idx])
    basis = ShapeBasis.fit(shapes, head.basis_components.shape[0])
    with torch.no_grad():
        head.basis_mean.copy_(torch.from_numpy(basis.mean))
        head.basis_components.copy_(torch.from_numpy(basis.components))
        if sealed.any():
            head.closed_shape.copy_(torch.from_numpy(shapes[sealed].mean(0).reshape(40).astype(np.float32)))


def calibrate_gate(gen: Generator, cfg: GlanceConfig, ds: LipClipDataset, false_rate: float,
                   device: torch.device) -> float:
    """Set the shape head's gate threshold to the (1 - false_rate) quantile of its closure logits on the frames
    of every clip of `ds` that the truth holds clearly open (lipglance.shape.WIDE), computed as inference does
    (windows cross-faded); returns it."""
    from lipglance.inference.model.lipsync import LipSync

    head = gen.shape_head
    assert head is not None and head.gated
    was = gen.training
    model = LipSync(gen.eval(), cfg, ds.stats, True, str(device))
    logits = []
    for i, item in enumerate(ds.items):
        lg, truth = model.gate_logits_of_mel(np.asarray(ds.cache.mel(item))), ds.clip_shapes(i)
        n = min(len(lg), len(truth))
        logits.append(lg[:n][opening_of(truth[:n]) > WIDE])
    gen.train(was)
    pooled = np.concatenate(logits) if logits else np.zeros(0)
    if len(pooled):
        with torch.no_grad():
            head.gate_threshold.fill_(float(np.quantile(pooled, 1.0 - false_rate)))
    return float(head.gate_threshold)


def export(stage: str, run: Path, cfg: GlanceConfig, module: nn.Module, step: int, extra: dict[str, object]) -> Path:
    """Write the stage's exported network (generator: with the audio statistics; shape: the whole generator
    with its shape head)."""
    kind = "generator" if stage in ("gan", "shape") else stage
    return save_checkpoint(run / EXPORTS[stage], module.state_dict(), cfg, kind, {"step": step, **extra})
