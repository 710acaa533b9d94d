"""`lipglance info`: versions, device, the bundled model and samples, every preset with parameter counts and GMAC."""

from __future__ import annotations

import argparse
import platform
import sys
from importlib import metadata

import torch

from lipglance import __version__
from lipglance.config import PRESETS, ablation_names
from lipglance.flops import preset_cost

PACKAGES = ("torch", "numpy", "av", "opencv-python-headless", "scikit-image", "dlib-bin", "safetensors")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="versions, device, the bundled model and sample, presets with parameter counts "
                       "and GMAC")
    p.set_defaults(func=run)


def _version(pkg: str) -> str:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return "not installed"


def bundled() -> None:
    """The bundled model, speech sample and sample photos, and the command that uses them."""
    from lipglance.checkpoint import CheckpointError, load_checkpoint
    from lipglance.inference.lipsync import DEFAULT_WEIGHTS
    from lipglance.samples import sample_photos

    assets = DEFAULT_WEIGHTS.parent
    try:
        ckpt = load_checkpoint(DEFAULT_WEIGHTS, kind="generator")
        what = (f"config {ckpt.config.name}, step {ckpt.extra.get('step', '?')}, "
                f"{DEFAULT_WEIGHTS.stat().st_size / 1e6:.1f} MB, card {assets / 'MODEL_CARD.md'}")
    except (CheckpointError, OSError) as e:
        what = f"not usable ({e}): lipglance generate falls back to an untrained model"
    print(f"bundled model: {DEFAULT_WEIGHTS} ({what})")
    sample = assets / "sample.wav"
    print(f"sample speech: {sample}" + ("" if sample.is_file() else " (missing)"))
    photos = sample_photos()
    print("sample photos: " + (", ".join(str(p) for p in photos) or "none (install scikit-image)"))
    if photos and sample.is_file():
        print(f"try: lipglance generate --audio {sample} --image {photos[0]} -o demo.mp4")


def run(args: argparse.Namespace) -> int:
    print(f"lipglance {__version__}  python {platform.python_version()}  ({sys.executable})")
    print("  " + "  ".join(f"{p} {_version(p)}" for p in PACKAGES))
    cuda = torch.cuda.is_available()
    device = f"cuda ({torch.cuda.get_device_name(0)})" if cuda else "cpu"
    print(f"device: {device}, torch threads: {torch.get_num_threads()}")
    print()
    bundled()
    print()
    print("presets (parameters in millions; GMAC per 16-frame clip, forward):")
    head = ("preset", "G", "D", "flow", "phi_s+phi_v", "autoenc", "G GMAC", "D GMAC")
    print("  " + "".join(f"{h:>12}" for h in head))
    for name, cfg in PRESETS.items():
        cost = preset_cost(cfg)
        p = cost.params
        row = [name] + [f"{p[k] / 1e6:.3f}" for k in ("generator", "discriminator", "flow", "correlation",
                                                      "autoencoder")]
        row += [f"{cost.generator_gmac:.2f}", f"{cost.discriminator_gmac:.2f}"]
        print("  " + "".join(f"{c:>12}" for c in row))
    print()
    print("ablation / option configs (combine as PRESET+NAME, e.g. tiny+b):", ", ".join(ablation_names()))
    return 0
