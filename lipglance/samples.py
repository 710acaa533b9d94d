"""Real face photos shipped inside installed packages (held-out test identities, never training data)."""

from __future__ import annotations

from pathlib import Path


def sample_photos() -> list[Path]:
    """scikit-image's astronaut and, if matplotlib is installed, its Grace Hopper photo."""
    import skimage.data

    paths = [Path(skimage.data.__file__).parent / "astronaut.png"]
    try:
        import matplotlib

        paths.append(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg")
    except ImportError:
        pass
    return [p for p in paths if p.is_file()]
