"""Licence, citation, responsible use, troubleshooting and supported formats: present and consistent."""

from __future__ import annotations

import zipfile
from pathlib import Path

import av
import numpy as np
import tomllib
import yaml

from lipglance.io.video import COMMENT, write_mp4
from lipglance.version import __version__

ROOT = Path(__file__).resolve().parents[1]


def test_licence_matches_the_package_metadata() -> None:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert meta["license"] == "MIT" and meta["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "Permission is hereby granted, free of charge" in text
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert meta["dynamic"] == ["version"] and "version" not in meta  # written once, in lipglance/version.py
    assert cff["license"] == "MIT" and cff["version"] == __version__


def test_citation_names_the_paper_and_glance() -> None:
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "software" and "lipglance" in cff["title"]
    paper = cff["preferred-citation"]
    assert paper["title"] == "Lip Movements Generation at a Glance" and paper["year"] == 2018
    assert [a["family-names"] for a in paper["authors"]] == ["Chen", "Li", "Maddox", "Duan", "Xu"]
    assert "ECCV" in paper["collection-title"]


def test_readme_sections() -> None:
    readme = (ROOT / "README.md").read_text()
    for heading in ("## Troubleshooting", "## Responsible use", "## Licence and citation", "### Supported formats"):
        assert f"\n{heading}\n" in readme, heading
    formats = readme.split("### Supported formats", 1)[1].split("\n### ", 1)[0]
    for fmt in ("wav", "mp3", "flac", "ogg", "m4a", "png", "jpg", "webp", "mp4", "H.264", "AAC"):
        assert fmt in formats, fmt
    trouble = readme.split("## Troubleshooting", 1)[1].split("\n## ", 1)[0]
    for hint in ("lipglance faces", "--box", "--max-size", "download.pytorch.org/whl/cpu", "--device cpu"):
        assert hint in trouble, hint
    assert COMMENT in readme


def test_videos_say_they_are_generated(tmp_path: Path) -> None:
    out = tmp_path / "o.mp4"
    write_mp4(out, [np.zeros((16, 16, 3), np.uint8)] * 3, 25, np.zeros(1920, np.float32), 16000)
    with av.open(str(out)) as c:
        assert c.metadata.get("comment") == COMMENT


def test_the_wheel_carries_the_licence(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    src = tmp_path / "src"  # a clean copy: setuptools would leave build/ in the checkout
    shutil.copytree(ROOT / "lipglance", src / "lipglance", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    res = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                          str(tmp_path), str(src)], capture_output=True, text=True, timeout=600, check=False)
    assert res.returncode == 0, res.stderr[-2000:]
    wheel = next(tmp_path.glob("lipglance-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        meta = z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), names[-10:]
    assert "License-Expression: MIT" in meta
    assert any(n.endswith("lipglance/assets/default.safetensors") for n in names)
    assert any(n.endswith("lipglance/assets/sample.wav") for n in names)
