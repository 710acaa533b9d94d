from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
import torch

if TYPE_CHECKING:
    from lipglance.inference.model.lipsync import LipSync

torch.set_num_threads(min(2, os.cpu_count() or 1))

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def sample_wav() -> Path:
    return ROOT / "lipglance" / "assets" / "sample.wav"


@pytest.fixture(scope="session")
def astronaut_png() -> Path:
    import skimage.data

    return Path(skimage.data.__file__).parent / "astronaut.png"


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic training cache (5 identities x 4 sentences, train/val/test), made once."""
    from lipglance.cli import main

    root = tmp_path_factory.mktemp("cache")
    assert main(["synth", str(root), "--identities", "5", "--sentences-per-identity", "4", "--seed", "1",
                 "--workers", "2"]) == 0
    return root


@pytest.fixture(scope="session")
def model() -> LipSync:
    """The bundled model, loaded once (tests that need another define their own `model`)."""
    from lipglance.inference.model.lipsync import LipSync

    return LipSync.from_pretrained()


@pytest.fixture(scope="session")
def speech(sample_wav: Path) -> np.ndarray:
    """The bundled speech sample at 16 kHz, mono float32."""
    from lipglance.io.audio import load_audio

    return load_audio(sample_wav, 16000)
