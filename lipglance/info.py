"""`lipglance info`: versions, device, the bundled model and samples, every preset with parameter counts and GMAC.

It answers in well under a second: versions come from the installed metadata, the bundled model from its
safetensors header, the preset costs from `lipglance.costs`' table; torch is imported only to ask a torch
built for a GPU whether it sees one (benchmarks/bench_info.py measures it).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from importlib import metadata

from lipglance.config import ablation_names
from lipglance.costs import PARTS, preset_costs
from lipglance.version import __version__

PACKAGES = ("torch", "numpy", "av", "opencv-python-headless", "scikit-image", "dlib-bin", "safetensors")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="versions, device, the bundled model and sample, presets with parameters and "
                       "GMAC")
    p.set_defaults(func=run)


def _version(pkg: str) -> str:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return "not installed"


def device() -> str:
    """The device `generate` uses by default. A CPU build of torch (its version ends in +cpu) needs no import."""
    torch_version = _version("torch")
    if torch_version == "not installed":
        return "none: torch is not installed"
    if torch_version.endswith("+cpu"):
        return "cpu (a CPU build of torch)"
    import torch

    return f"cuda ({torch.cuda.get_device_name(0)})" if torch.cuda.is_available() else "cpu"


def _model_line(path: os.PathLike[str]) -> str:
    """The bundled model's config, step and size, read from its safetensors header (no tensor is loaded)."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(os.fspath(path), framework="numpy") as f:
            meta = f.metadata() or {}
        name = json.loads(meta["config"])["name"]
        step = json.loads(meta.get("extra", "{}")).get("step", "?")
    except (SafetensorError, OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        return f"not usable ({e}): lipglance generate falls back to an untrained model"
    size = os.stat(path).st_size / 1e6
    return f"config {name}, step {step}, {size:.1f} MB"


def bundled() -> None:
    """The bundled model, speech sample and sample photos, and the command that uses them."""
    from lipglance.samples import SAMPLE_WAV, SAMPLE_WORDS, WEIGHTS, sample_photos

    print(f"bundled model: {WEIGHTS} ({_model_line(WEIGHTS)}, card {WEIGHTS.parent / 'MODEL_CARD.md'})")
    print(f"sample speech: {SAMPLE_WAV}" + ("" if SAMPLE_WAV.is_file() else " (missing)"))
    print(f'  its words: "{SAMPLE_WORDS}"')
    photos = sample_photos()
    print("sample photos: " + (", ".join(str(p) for p in photos) or "none (install scikit-image)"))
    if photos and SAMPLE_WAV.is_file():
        print("try: lipglance generate --sample -o first.mp4")
        print(f"     (the same as: lipglance generate --audio {SAMPLE_WAV} --image {photos[0]} -o first.mp4)")
        print(f'     with its words: lipglance generate --sample -o words.mp4 --transcript "{SAMPLE_WORDS}"')


def presets() -> None:
    """Every preset's parameter counts (millions) and GMAC per 16-frame clip."""
    print("presets (parameters in millions; GMAC per 16-frame clip, forward):")
    head = ("preset", "G", "D", "flow", "phi_s+phi_v", "autoenc", "G GMAC", "D GMAC")
    print("  " + "".join(f"{h:>12}" for h in head))
    for name, cost in preset_costs().items():
        row = [name] + [f"{cost['params'][k] / 1e6:.3f}" for k in PARTS]
        row += [f"{cost['generator_gmac']:.2f}", f"{cost['discriminator_gmac']:.2f}"]
        print("  " + "".join(f"{c:>12}" for c in row) + ("  (measured now)" if cost["measured"] else ""))


def run(args: argparse.Namespace) -> int:
    print(f"lipglance {__version__}  python {platform.python_version()}  ({sys.executable})")
    print("  " + "  ".join(f"{p} {_version(p)}" for p in PACKAGES))
    print(f"device: {device()}, CPU cores: {os.cpu_count()}")
    print()
    bundled()
    print()
    presets()
    print()
    print("ablation / option configs (combine as PRESET+NAME, e.g. tiny+b):", ", ".join(ablation_names()))
    return 0
