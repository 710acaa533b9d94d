"""What ships inside the installed packages: the bundled model and speech sample, and real face photos (held-out
test identities, never training data). Finding them imports nothing heavy."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ASSETS = Path(__file__).parent / "assets"
WEIGHTS = ASSETS / "default.safetensors"  # the bundled model (lipglance/assets/MODEL_CARD.md)
SAMPLE_WAV = ASSETS / "sample.wav"  # the bundled speech sample (flite's slt voice)
# its words as pocketsphinx recognises them (the script it was made from is not kept): `--transcript` takes them
# (benchmarks/bench_transcript_match.py; tests/test_transcript.py)
SAMPLE_WORDS = "play a small event after now, lip movements at a glance"


def _package_dir(name: str) -> Path | None:
    """The folder of an installed package, without importing it (None when it is not installed)."""
    spec = importlib.util.find_spec(name)
    locations = list(spec.submodule_search_locations or []) if spec else []
    return Path(locations[0]) if locations else None


def sample_photos() -> list[Path]:
    """scikit-image's astronaut and, if matplotlib is installed (the `train` extra), its Grace Hopper photo."""
    paths = []
    skimage, matplotlib = _package_dir("skimage"), _package_dir("matplotlib")
    if skimage:
        paths.append(skimage / "data" / "astronaut.png")
    if matplotlib:
        paths.append(matplotlib / "mpl-data" / "sample_data" / "grace_hopper.jpg")
    return [p for p in paths if p.is_file()]
