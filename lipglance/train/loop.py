"""The training loop of every stage, in phases read top to bottom (`train`):

1. the run folder (a new run, or --resume of the one there);
2. the data: the training and validation windows of the cache;
3. the networks: built for the config, the stage's optimisers, resumed or initialised, wrapped for DDP
   and torch.compile;
4. the loop: one step of the stage (lipglance/train/steps.py), then one periodic block: log, sample grid,
   validation metrics, checkpoint (also on SIGTERM/SIGINT, after which the run exits to be resumed).
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

from lipglance.config import GlanceConfig
from lipglance.data.cache import Cache
from lipglance.data.dataset import LipClipDataset, collate
from lipglance.errors import UserError
from lipglance.model import GeneratorSide, GlanceNetworks
from lipglance.nn.generator import Generator
from lipglance.train.distributed import Dist, EpochSampler, barrier, sync_buffers
from lipglance.train.logging import RunLogger
from lipglance.train.stages import STAGE_MODULE, FlowWindows, StageSetup, build_stage, calibrate_gate, export, fit_basis
from lipglance.train.state import LoopPosition, load_state, load_weights, save_state
from lipglance.train.steps import StageStep
from lipglance.train.validate import validate


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
    """Train one stage for `opts.steps` steps in all; returns 0, or 128 + the signal that stopped it."""
    device = torch.device(opts.device if opts.device != "cuda" else f"cuda:{d.local_rank}")
    state_path = _run_folder(opts)
    torch.manual_seed(cfg.train.seed + d.rank)
    data = _data(cfg, opts, d)
    net = _networks(cfg, opts, d, device, data, state_path)
    return _loop(cfg, opts, d, device, data, net, state_path)


def _run_folder(opts: TrainOptions) -> Path:
    """Phase 1: the stage's training state path, after checking it agrees with --resume."""
    state_path = opts.run / opts.stage / "state.safetensors"
    if state_path.exists() and not opts.resume:
        raise UserError(f"{state_path.parent} already holds a run: add --resume to continue it, or use another --out")
    if opts.resume and not state_path.exists():
        raise UserError(f"--resume: no checkpoint at {state_path}")
    return state_path


@dataclass
class _Data:
    stats: Any  # the cache's audio normalisation statistics
    per_rank: int  # windows per batch on this process
    train: Any  # LipClipDataset, or FlowWindows for the flow stage
    val: LipClipDataset
    val_split: str


def _data(cfg: GlanceConfig, opts: TrainOptions, d: Dist) -> _Data:
    """Phase 2: the training and validation windows the stage needs."""
    cache = Cache(opts.data)
    stats = cache.stats()
    per_rank = cfg.train.batch_size // d.world
    if per_rank < 1:
        raise UserError(f"batch size {cfg.train.batch_size} is smaller than the {d.world} processes")
    seed, stage = cfg.train.seed, opts.stage
    lead = cfg.train.shape_lead if cfg.train.shape_lead >= 0 else None  # one audio-visual lead for the shape targets
    train_ds = (FlowWindows(cache, "train", train=True, seed=seed, stats=stats, flow=cfg.flow) if stage == "flow"
                else LipClipDataset(cache, "train", train=True, seed=seed, stats=stats,
                                    silence=cfg.train.silence if stage in ("gan", "shape") else 0.0,
                                    shapes=stage == "shape" or (stage == "gan" and cfg.losses.shape > 0),
                                    closure_weight=cfg.train.shape_closure, mel_warp=cfg.train.mel_warp,
                                    tempo=cfg.train.tempo if stage == "shape" else 0.0,
                                    channel=cfg.train.channel if stage == "shape" else 0.0,
                                    vowel_weight=cfg.train.shape_vowel, lead=lead))
    val_split = "val" if cache.split("val") else "test"
    val_ds = LipClipDataset(cache, val_split, train=False, seed=seed, stats=stats, shapes=stage == "shape", lead=lead)
    if len(train_ds) < per_rank * d.world:
        raise UserError(f"{opts.data} has {len(train_ds)} training windows, fewer than one batch "
                        f"({cfg.train.batch_size}): make a larger corpus or use --batch-size")
    return _Data(stats, per_rank, train_ds, val_ds, val_split)


@dataclass
class _Networks:
    nets: GlanceNetworks
    setup: StageSetup  # the stage's trained modules and optimisers
    ema: Generator | None  # GAN with EMA: the generator that is exported
    saved: dict[str, torch.nn.Module]  # what the training state holds
    pos: LoopPosition
    step: StageStep


def _networks(cfg: GlanceConfig, opts: TrainOptions, d: Dist, device: torch.device, data: _Data,
              state_path: Path) -> _Networks:
    """Phase 3: the networks and optimisers, resumed (--resume) or initialised (--init), wrapped."""
    nets = GlanceNetworks(cfg).to(device)
    setup = build_stage(opts.stage, cfg, nets, opts.run, device)
    if opts.channels_last:
        nets.to(memory_format=torch.channels_last_3d)  # type: ignore[call-overload]
    gan = opts.stage == "gan"
    ema = copy.deepcopy(nets.generator).requires_grad_(False) if gan and cfg.train.ema_decay > 0 else None
    saved = {**setup.modules, **({"ema": ema} if ema is not None else {})}
    pos = LoopPosition()
    if opts.resume:
        pos = load_state(state_path, cfg, saved, setup.optimizers)
    elif opts.init is not None:
        load_weights(opts.init, saved)
    head = nets.generator.shape_head
    if head is not None and data.train.shapes and not opts.resume and not float(head.basis_components.abs().sum()):
        fit_basis(head, data.train)

    def wrap(m: torch.nn.Module, compiled: bool = True) -> Any:
        w = DDP(m, device_ids=[device.index] if device.type == "cuda" else None) if d.world > 1 else m
        return torch.compile(w) if opts.compile and compiled else w

    if gan:
        d_net = nets.discriminator
        step = StageStep("gan", cfg, nets, setup.optimizers, gside=wrap(GeneratorSide(nets)), ema=ema,
                         d_run=wrap(d_net, compiled=False) if d_net is not None else None)
    else:
        step = StageStep(opts.stage, cfg, nets, setup.optimizers,
                         single=wrap(setup.modules[STAGE_MODULE.get(opts.stage, opts.stage)]))
    for m in setup.modules.values():
        m.train()
    return _Networks(nets, setup, ema, saved, pos, step)


def _loop(cfg: GlanceConfig, opts: TrainOptions, d: Dist, device: torch.device, data: _Data, net: _Networks,
          state_path: Path) -> int:
    """Phase 4: steps until `opts.steps`, each followed by the periodic block; checkpoint and stop on a signal."""
    stage_dir, pos, opt = state_path.parent, net.pos, net.setup.optimizers
    head = net.nets.generator.shape_head
    autocast = torch.autocast(device.type, dtype=torch.bfloat16) if opts.bf16 else contextlib.nullcontext()
    sampler = EpochSampler(len(data.train), d, cfg.train.seed)
    batches_per_epoch = len(data.train) // d.world // data.per_rank

    def epoch_iter(epoch: int, start_batch: int) -> Any:
        sampler.set_position(epoch, start_batch * data.per_rank)
        data.train.set_epoch(epoch)
        return iter(_loader(data.train, sampler, data.per_rank, opts.workers))

    stop = _Stop()
    old = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    log = RunLogger(stage_dir, d.main, opts.resume, pos.step)
    if d.main:
        (opts.run / "config.json").write_text(json.dumps(cfg.to_dict(), indent=1, sort_keys=True) + "\n")
        log.text("config", f"```\n{cfg.to_json()}\n```", pos.step)

    def checkpoint(step: int) -> None:
        sync_buffers(d, list(net.saved.values()))
        if d.main:  # the export first: a kill between the two leaves the state behind (that step is redone on
            # --resume), never the export (a run killed so at its last step would resume to nothing to do)
            exported = net.ema if net.ema is not None else (
                net.nets.generator if opts.stage in ("gan", "shape") else net.setup.modules[opts.stage])
            path = export(opts.stage, opts.run, cfg, exported, step, {"audio_stats": data.stats.to_dict()})
            save_state(state_path, cfg, net.saved, opt, LoopPosition(step, pos.epoch, pos.batch_in_epoch))
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
            batch = next(it).to(device)
            pos.batch_in_epoch += 1
            with autocast:
                terms = net.step(batch)
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
                log.samples(step, net.nets, data.val, opts.stage, device, generator=net.ema)  # the exported G
            if d.main and opts.eval_every and (step % opts.eval_every == 0 or step == opts.steps):
                if opts.stage == "shape" and head is not None and head.gated and cfg.train.shape_gate_false > 0:
                    calibrate_gate(net.nets.generator, cfg, data.val, cfg.train.shape_gate_false, device)
                metrics = validate(opts.stage, net.nets, data.val, opts.eval_windows, device, generator=net.ema)
                log.metrics(step, data.val_split, metrics)
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
        from lipglance.checkpoint import save_checkpoint

        module = net.setup.modules[STAGE_MODULE.get(opts.stage, opts.stage)]
        save_checkpoint(stage_dir / f"rank{d.rank}.safetensors", module.state_dict(), cfg, "debug", {"step": step})
    if stop.signal is not None:
        if d.main:
            print(f"stopped by signal {stop.signal} at step {step}; checkpoint saved: resume with --resume",
                  file=sys.stderr)
        return 128 + stop.signal
    return 0
