"""Speed of every preset on this machine's CPU: generator forward latency and training throughput.

    .venv/bin/python benchmarks/bench_presets.py [--presets tiny small] [--train-batch 8]

Prints a Markdown table; numbers are medians over repeated runs after warm-up.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable

import torch

from lipglance.batch import Batch
from lipglance.config import load_config
from lipglance.model import GeneratorSide, GlanceNetworks
from lipglance.objective import discriminator_terms, generator_terms, weighted_total


def median_ms(fn: Callable[[], object], warmup: int = 3, runs: int = 10) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def forward_ms(preset: str) -> float:
    cfg = load_config(preset)
    g = GlanceNetworks(cfg).generator.eval()
    mel, ident = torch.randn(1, 1, 64, cfg.audio.n_mels), torch.randn(1, 3, 64, 64)
    with torch.inference_mode():
        return median_ms(lambda: g(mel, ident))


def train_step_ms(spec: str, batch_size: int) -> float:
    """One D step + one G step of the full objective (all networks of the config)."""
    cfg = load_config(spec)
    nets = GlanceNetworks(cfg).train()
    if nets.flow is not None:
        nets.flow.requires_grad_(False).eval()
    if nets.autoencoder is not None:
        nets.autoencoder.requires_grad_(False).eval()
    g_params = list(nets.generator.parameters())
    for m in (nets.phi_s, nets.phi_v):
        g_params += list(m.parameters()) if m is not None else []
    opt_g = torch.optim.Adam(g_params, lr=2e-4)
    opt_d = torch.optim.Adam(nets.discriminator.parameters(), lr=2e-4) if nets.discriminator else None
    b = batch_size
    batch = Batch(torch.rand(b, 3, 16, 64, 64) * 2 - 1, torch.randn(b, 1, 64, 128),
                  torch.rand(b, 3, 64, 64) * 2 - 1, torch.randn(b, 1, 64, 128))

    gside = GeneratorSide(nets)
    d, ae = nets.discriminator, nets.autoencoder

    def step() -> None:
        out = gside(batch.mel, batch.identity, batch.video)
        if opt_d is not None and d is not None:
            d_loss = weighted_total(discriminator_terms(d, batch, out), cfg.losses)
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()
        g_loss = weighted_total(generator_terms(cfg, batch, out, d, ae.video_features if ae else None), cfg.losses)
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()

    return median_ms(step, warmup=2, runs=5)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--presets", nargs="+", default=["tiny", "small", "paper"])
    p.add_argument("--train-presets", nargs="+", default=["tiny", "small"])
    p.add_argument("--train-batch", type=int, default=8)
    p.add_argument("--skip-forward", action="store_true", help="only the training table")
    p.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    print(f"# glance preset benchmark: {platform.processor() or platform.machine()}, "
          f"{args.threads} threads, torch {torch.__version__}\n")
    print("| preset | G forward, 16-frame clip (ms) | frames/s (no overlap) |")
    print("|---|---|---|")
    for preset in [] if args.skip_forward else args.presets:
        ms = forward_ms(preset)
        print(f"| {preset} | {ms:.1f} | {16 / ms * 1000:.0f} |", flush=True)
    print(f"\n| config | train step D+G, batch {args.train_batch} (ms) | clips/s | iterations in 2 h |")
    print("|---|---|---|---|")
    for preset in args.train_presets:
        spec = f"{preset}+e"
        ms = train_step_ms(spec, args.train_batch)
        print(f"| {spec} | {ms:.0f} | {args.train_batch / ms * 1000:.1f} | {7200e3 / ms:.0f} |", flush=True)


if __name__ == "__main__":
    main()
