"""`lipglance train STAGE --config CONFIG --data CACHE --out RUN [--steps N] [--resume]`."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import torch

from lipglance.config import load_config
from lipglance.errors import UserError
from lipglance.train.distributed import init_distributed
from lipglance.train.loop import TrainOptions, train
from lipglance.train.stages import STAGES


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train the flow net, the perceptual autoencoder, the GAN, or all three")
    p.add_argument("stage", choices=(*STAGES, "all"))
    p.add_argument("--config", required=True, help="preset (paper, small, tiny), PRESET+ABLATION, or a TOML file")
    p.add_argument("--data", required=True, help="cache folder (lipglance preprocess / lipglance synth)")
    p.add_argument("--out", required=True, help="run folder (one per experiment; stages share it)")
    p.add_argument("--steps", type=int, default=1000, help="total steps of the stage (per stage with 'all')")
    p.add_argument("--resume", action="store_true", help="continue from the run's latest checkpoint")
    p.add_argument("--init", type=Path, help="fine-tune: start from the networks of another run's "
                   "STAGE/state.safetensors, or for the shape stage a model checkpoint's shape head (same "
                   "architecture; fresh optimisers, step 0; ignored with --resume)")
    p.add_argument("--batch-size", type=int, help="override train.batch_size (recorded in the run's config)")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu", choices=("cpu", "cuda"))
    p.add_argument("--workers", type=int, default=1, help="DataLoader worker processes")
    p.add_argument("--bf16", action="store_true", help="bfloat16 autocast (GPU)")
    p.add_argument("--compile", action="store_true", help="torch.compile the trained networks (GPU)")
    p.add_argument("--channels-last", action="store_true", help="channels-last-3d memory format")
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--sample-every", type=int, default=100)
    p.add_argument("--ckpt-every", type=int, default=100)
    p.add_argument("--keep-every", type=int, default=0,
                   help="also keep the exported network of every N-th step in STAGE/snapshots/ (0: latest only)")
    p.add_argument("--eval-every", type=int, default=200, help="validation metrics every N steps (0: never)")
    p.add_argument("--eval-windows", type=int, default=32)
    p.add_argument("--dry-run", action="store_true", help="print the resolved config and options, then exit")
    p.add_argument("--save-rank-weights", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    if args.batch_size is not None:
        if args.batch_size < 1:
            raise UserError("--batch-size must be >= 1")
        cfg = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, batch_size=args.batch_size))
    if args.steps < 1:
        raise UserError("--steps must be >= 1")
    if args.device == "cuda" and not torch.cuda.is_available():
        raise UserError("--device cuda asked, but this torch sees no CUDA GPU")
    if not Path(args.data).is_dir():
        raise UserError(f"--data {args.data}: no such folder")
    if args.init is not None and (args.stage == "all" or not args.init.is_file()):
        raise UserError(f"--init {args.init}: give one stage and an existing STAGE/state.safetensors file "
                        "(or, for the shape stage, a model checkpoint)")
    stages = STAGES if args.stage == "all" else (args.stage,)
    options = [TrainOptions(stage=s, data=Path(args.data), run=Path(args.out), steps=args.steps,
                            resume=args.resume, init=args.init, device=args.device, workers=args.workers,
                            bf16=args.bf16, compile=args.compile, channels_last=args.channels_last,
                            log_every=args.log_every, sample_every=args.sample_every, ckpt_every=args.ckpt_every,
                            keep_every=args.keep_every, eval_every=args.eval_every, eval_windows=args.eval_windows,
                            save_rank_weights=args.save_rank_weights)
               for s in stages]
    from lipglance.model import GlanceNetworks

    probe = GlanceNetworks(cfg)
    if args.stage == "all":  # only the stages this config has networks for
        needed = {"flow": probe.flow is not None, "autoencoder": probe.autoencoder is not None,
                  "shape": probe.generator.shape_head is not None}
        options = [o for o in options if needed.get(o.stage, True)]
    if args.dry_run:
        print(json.dumps({"config": cfg.to_dict(), "stages": [
            {k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(o).items()} for o in options]},
            indent=1, sort_keys=True))
        return 0
    import tensorboard  # noqa: F401 - the `train` extra: missing, one line with its pip command (lipglance.install)

    dist = init_distributed(args.device)
    for opts in options:
        state = opts.run / opts.stage / "state.safetensors"
        if args.stage == "all" and args.resume and not state.exists():
            opts = dataclasses.replace(opts, resume=False)  # a later stage not started yet
        code = train(cfg, opts, dist)
        if code:
            return code
    return 0
