"""The training loop: one function for every stage, read top to bottom.

Per step: (GAN) one forward of G + phi_s + phi_v, the D phase, the G phase, the EMA update;
(flow / autoencoder) one loss and one optimiser step. Then one periodic block: log, sample
grid, validation metrics, checkpoint (also on SIGTERM/SIGINT).
"""

from __future__ import annotations

import contextlib
import copy
import json
import shutil
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import torch
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader
from tqdm import tqdm

from glance.config import GlanceConfig
from glance.data.cache import Cache
from glance.data.dataset import LipClipDataset, collate
from glance.errors import UserError
from glance.losses import gate_loss, shape_loss, width_loss
from glance.model import GeneratorSide, GlanceNetworks
from glance.objective import discriminator_terms, generator_terms, weighted_total
from glance.train.distributed import Dist, EpochSampler, barrier, sync_buffers
from glance.train.logging import RunLogger
from glance.train.stages import (
    STAGE_MODULE,
    FlowWindows,
    autoencoder_frames,
    build_stage,
    calibrate_gate,
    export,
    fit_basis,
    flow_loss,
)
from glance.train.state import LoopPosition, load_state, load_weights, save_state
from glance.train.validate import validate


@dataclass(frozen=True)
class TrainOptions:
    stage: str
    data: Path
    run: Path
    steps: int
    resume: bool = False
    init: Path | None = None  # fine-tune from the networks of this training state (ignored when resuming)
    device: str = "cpu"
    workers: int = 1
    bf16: bool = False
    compile: bool = False
    channels_last: bool = False
    log_every: int = 10
    sample_every: int = 100
    ckpt_every: int = 100
    keep_every: int = 0  # also keep the exported network of every K-th step (0: only the latest)
    eval_every: int = 200
    eval_windows: int = 32
    save_rank_weights: bool = False


class _Stop:
    """Set by SIGTERM/SIGINT; the loop checkpoints after the current step and exits."""

    def __init__(self) -> None:
        self.signal: int | None = None

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.signal = signum


def _ignore_signals(_: int) -> None:
    """DataLoader workers leave SIGINT/SIGTERM to the main process, which checkpoints and stops them
    (Ctrl+C or `kill` of the whole process group would otherwise kill workers mid-batch)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _loader(ds: LipClipDataset, sampler: EpochSampler, batch: int, workers: int) -> DataLoader:
    return DataLoader(ds, batch_size=batch, sampler=sampler, num_workers=workers, collate_fn=collate,
                      drop_last=True, pin_memory=torch.cuda.is_available(),
                      worker_init_fn=_ignore_signals if workers else None)


def train(cfg: GlanceConfig, opts: TrainOptions, d: Dist) -> int:
    device = torch.device(opts.device if opts.device != "cuda" else f"cuda:{d.local_rank}")
    stage_dir = opts.run / opts.stage
    state_path = stage_dir / "state.safetensors"
    if state_path.exists() and not opts.resume:
        raise UserError(f"{stage_dir} already holds a run: add --resume to continue it, or use another --out")
    if opts.resume and not state_path.exists():
        raise UserError(f"--resume: no checkpoint at {state_path}")
    torch.manual_seed(cfg.train.seed + d.rank)
    cache = Cache(opts.data)
    stats = cache.stats()
    per_rank = cfg.train.batch_size // d.world
    if per_rank < 1:
        raise UserError(f"batch size {cfg.train.batch_size} is smaller than the {d.world} processes")
    seed = cfg.train.seed
    train_ds = (FlowWindows(cache, "train", train=True, seed=seed, stats=stats, flow=cfg.flow) if opts.stage == "flow"
                else LipClipDataset(cache, "train", train=True, seed=seed, stats=stats,
                                    silence=cfg.train.silence if opts.stage in ("gan", "shape") else 0.0,
                                    shapes=opts.stage == "shape" or (opts.stage == "gan" and cfg.losses.shape > 0),
                                    closure_weight=cfg.train.shape_closure, mel_warp=cfg.train.mel_warp,
                                    tempo=cfg.train.tempo if opts.stage == "shape" else 0.0))
    val_split = "val" if cache.split("val") else "test"
    val_ds = LipClipDataset(cache, val_split, train=False, seed=cfg.train.seed, stats=stats,
                            shapes=opts.stage == "shape")
    if len(train_ds) < per_rank * d.world:
        raise UserError(f"{opts.data} has {len(train_ds)} training windows, fewer than one batch "
                        f"({cfg.train.batch_size}): make a larger corpus or use --batch-size")

    nets = GlanceNetworks(cfg).to(device)
    setup = build_stage(opts.stage, cfg, nets, opts.run, device)
    if opts.channels_last:
        nets.to(memory_format=torch.channels_last_3d)  # type: ignore[call-overload]
    ema = copy.deepcopy(nets.generator).requires_grad_(False) if opts.stage == "gan" and cfg.train.ema_decay > 0 \
        else None
    saved = {**setup.modules, **({"ema": ema} if ema is not None else {})}
    pos = LoopPosition()
    if opts.resume:
        pos = load_state(state_path, cfg, saved, setup.optimizers)
    elif opts.init is not None:
        load_weights(opts.init, saved)
    head = nets.generator.shape_head
    if head is not None and train_ds.shapes and not opts.resume and not float(head.basis_components.abs().sum()):
        fit_basis(head, train_ds)

    def wrap(m: torch.nn.Module) -> torch.nn.Module:
        return DDP(m, device_ids=[device.index] if device.type == "cuda" else None) if d.world > 1 else m

    gside = GeneratorSide(nets)
    gside_run: Any = wrap(gside) if opts.stage == "gan" else None
    d_net = nets.discriminator if opts.stage == "gan" else None
    d_run: Any = wrap(d_net) if d_net is not None else None
    single: Any = wrap(setup.modules[STAGE_MODULE.get(opts.stage, opts.stage)]) if opts.stage != "gan" else None
    if opts.compile:
        gside_run = torch.compile(gside_run) if gside_run is not None else None
        single = torch.compile(single) if single is not None else None
    perceptual = nets.autoencoder.video_features if nets.autoencoder is not None else None
    opt = setup.optimizers
    for m in setup.modules.values():
        m.train()
    autocast = (torch.autocast(device.type, dtype=torch.bfloat16) if opts.bf16 else contextlib.nullcontext())

    sampler = EpochSampler(len(train_ds), d, cfg.train.seed)
    batches_per_epoch = len(train_ds) // d.world // per_rank

    def epoch_iter(epoch: int, start_batch: int) -> Any:
        sampler.set_position(epoch, start_batch * per_rank)
        train_ds.set_epoch(epoch)
        return iter(_loader(train_ds, sampler, per_rank, opts.workers))

    stop = _Stop()
    old = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    log = RunLogger(stage_dir, d.main, opts.resume, pos.step)
    if d.main:
        (opts.run / "config.json").write_text(json.dumps(cfg.to_dict(), indent=1, sort_keys=True) + "\n")
        log.text("config", f"```\n{cfg.to_json()}\n```", pos.step)

    def checkpoint(step: int) -> None:
        sync_buffers(d, list(saved.values()))
        if d.main:
            save_state(state_path, cfg, saved, opt, LoopPosition(step, pos.epoch, pos.batch_in_epoch))
            exported = ema if ema is not None else (nets.generator if opts.stage in ("gan", "shape")
                                                    else setup.modules[opts.stage])
            path = export(opts.stage, opts.run, cfg, exported, step, {"audio_stats": stats.to_dict()})
            if opts.keep_every and step % opts.keep_every == 0:
                keep = stage_dir / "snapshots" / f"{path.stem}-step{step:07d}{path.suffix}"
                keep.parent.mkdir(exist_ok=True)
                shutil.copyfile(path, keep)
        barrier(d)

    it = epoch_iter(pos.epoch, pos.batch_in_epoch)
    bar = tqdm(total=opts.steps, initial=pos.step, desc=f"train {opts.stage}", unit="step", file=sys.stderr,
               disable=not d.main, dynamic_ncols=True)
    t_last, n_last = time.perf_counter(), pos.step
    step = pos.step
    try:
        while step < opts.steps:
            if pos.batch_in_epoch >= batches_per_epoch:
                pos.epoch, pos.batch_in_epoch = pos.epoch + 1, 0
                it = epoch_iter(pos.epoch, 0)
            sample = next(it)
            batch = sample.to(device)
            pos.batch_in_epoch += 1
            terms: dict[str, torch.Tensor] = {}
            with autocast:
                if opts.stage == "gan":
                    out = gside_run(batch.mel, batch.identity, batch.video)
                    # D phase: real, generated and mismatched pairs.
                    if d_net is not None:
                        d_terms = discriminator_terms(d_run, batch, out)
                        opt["discriminator"].zero_grad(set_to_none=True)
                        weighted_total(d_terms, cfg.losses).backward()
                        opt["discriminator"].step()
                        terms.update(d_terms)
                        d_net.requires_grad_(False)
                    # G phase: generator and correlation networks (D frozen, not synchronised).
                    g_terms = generator_terms(cfg, batch, out, d_net, perceptual)
                    for name in ("generator", "correlation"):
                        if name in opt:
                            opt[name].zero_grad(set_to_none=True)
                    weighted_total(g_terms, cfg.losses).backward()
                    for name in ("generator", "correlation"):
                        if name in opt:
                            opt[name].step()
                    if d_net is not None:
                        d_net.requires_grad_(True)
                    terms.update(g_terms)
                    if ema is not None:
                        with torch.no_grad():
                            for pe, pg in zip(ema.parameters(), nets.generator.parameters(), strict=True):
                                pe.lerp_(pg, 1.0 - cfg.train.ema_decay)
                            for be, bg in zip(ema.buffers(), nets.generator.buffers(), strict=True):
                                be.copy_(bg)
                elif opts.stage == "shape":
                    assert head is not None
                    with torch.no_grad():
                        audio_feat = nets.generator.audio_encoder(batch.mel) if head.needs_shared() else None
                    pred, logit = single(batch.mel, audio_feat, parts=True)
                    gated = head.gate(pred, logit)
                    loss = shape_loss(gated, batch.extra["shape"], batch.extra["shape_weight"])
                    terms["shape/l1"] = loss
                    if cfg.train.shape_width > 0:
                        terms["shape/width"] = width_loss(gated, batch.extra["shape"])
                        loss = loss + cfg.train.shape_width * terms["shape/width"]
                    if logit is not None and cfg.train.shape_gate > 0:
                        terms["shape/gate_bce"] = gate_loss(logit, batch.extra["sealed"], cfg.train.shape_gate_pos)
                        loss = loss + cfg.train.shape_gate * terms["shape/gate_bce"]
                    opt["shape_head"].zero_grad(set_to_none=True)
                    loss.backward()
                    opt["shape_head"].step()
                else:
                    if opts.stage == "flow":
                        loss = flow_loss(single, batch.video, batch.extra["flow"], cfg.flow.scale_weights)
                        terms["flow/epe_multiscale"] = loss
                    else:
                        frames = autoencoder_frames(batch.video)
                        loss = torch.nn.functional.l1_loss(single(frames), frames)
                        terms["ae/l1"] = loss
                    opt[opts.stage].zero_grad(set_to_none=True)
                    loss.backward()
                    opt[opts.stage].step()
            step += 1
            bar.update(1)
            # Periodic block: log, samples, validation, checkpoint.
            if step % opts.log_every == 0 or step == opts.steps:
                now = time.perf_counter()
                rate = (step - n_last) * cfg.train.batch_size / max(now - t_last, 1e-9)
                t_last, n_last = now, step
                scalars = {k: float(v.detach()) for k, v in terms.items()}
                log.scalars(step, {**scalars, "speed/samples_per_s": rate})
                bar.set_postfix({k.split("/")[-1]: f"{v:.3f}" for k, v in list(scalars.items())[:4]})
            sample_now = step % opts.sample_every == 0 or step == opts.steps
            if d.main and sample_now and opts.stage in ("gan", "autoencoder"):
                log.samples(step, nets, val_ds, opts.stage, device, generator=ema)  # the exported generator
            if d.main and opts.eval_every and (step % opts.eval_every == 0 or step == opts.steps):
                if opts.stage == "shape" and head is not None and head.gated and cfg.train.shape_gate_false > 0:
                    calibrate_gate(nets.generator, cfg, val_ds, cfg.train.shape_gate_false, device)
                metrics = validate(opts.stage, nets, val_ds, opts.eval_windows, device, generator=ema)
                log.metrics(step, val_split, metrics)
            keep_now = opts.keep_every and step % opts.keep_every == 0
            if step % opts.ckpt_every == 0 or keep_now or step == opts.steps or stop.signal is not None:
                checkpoint(step)
            if stop.signal is not None:
                break
    finally:
        bar.close()
        log.close()
        for s, handler in old.items():
            signal.signal(s, handler)
    if opts.save_rank_weights:
        from glance.checkpoint import save_checkpoint

        module = setup.modules[STAGE_MODULE.get(opts.stage, opts.stage)]
        save_checkpoint(stage_dir / f"rank{d.rank}.safetensors", module.state_dict(), cfg, "debug", {"step": step})
    if stop.signal is not None:
        if d.main:
            print(f"stopped by signal {stop.signal} at step {step}; checkpoint saved: resume with --resume",
                  file=sys.stderr)
        return 128 + stop.signal
    return 0

