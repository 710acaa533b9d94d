"""What a new user meets first: the pip story, dependency bounds, hints, `lipglance info`, a fast `lipglance --help`."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement

from lipglance.cli import COMMANDS, build_parser, main

ROOT = Path(__file__).resolve().parents[1]


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False,
                          cwd=ROOT)


def _requirements() -> dict[str, Requirement]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = meta["dependencies"] + meta["optional-dependencies"]["demo"]
    return {Requirement(r).name: Requirement(r) for r in reqs}


def test_dependency_bounds_are_sane() -> None:
    reqs = _requirements()
    torch = reqs["torch"].specifier
    assert all(v in torch for v in ("2.4.0", "2.13.0", "2.14.2", "2.20.1")), torch  # no cap at a patch release
    assert "1.13.0" not in torch and "3.0.0" not in torch
    assert "4.14.0.94" in reqs["opencv-python-headless"].specifier
    assert "5.0.0" not in reqs["opencv-python-headless"].specifier
    for name, req in reqs.items():  # every bound is a range, never one release
        assert not any(s.operator in ("==", "===", "<=") for s in req.specifier), (name, str(req.specifier))
    assert "pillow" in reqs  # lipglance.io.image imports PIL itself


def test_readme_installs_with_pip_and_keeps_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu" in readme
    assert 'pip install "lipglance[demo]"' in readme
    quick = readme.split("## Two commands", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    assert [line.split()[:2] for line in quick.strip().splitlines()] == [["make", "demo"], ["make", "test"]]
    makefile = (ROOT / "Makefile").read_text()
    assert all(f"\n{target}:" in makefile for target in ("setup", "test", "demo"))


def test_help_imports_no_torch() -> None:
    code = ("import sys\nfrom lipglance.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('torch', 'numpy', 'cv2', 'av', 'gradio') if m in sys.modules))")
    out = _python(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout
    assert "generate" in out.stdout and "faces" in out.stdout
    code = ("import sys\nfrom lipglance.cli import main\ntry:\n    main(['generate', '--help'])\nexcept SystemExit:\n"
            "    pass\nprint('torch' in sys.modules, 'lipglance.inference.lipsync' in sys.modules)")
    assert _python(code).stdout.strip().splitlines()[-1] == "False False"
    api = _python("import lipglance, sys\nprint('torch' in sys.modules)\nlipglance.LipSync\n"
                  "print('torch' in sys.modules)")
    assert api.stdout.split() == ["False", "True"], api.stderr  # the API loads on first use


def test_config_and_the_inference_package_import_without_side_effects() -> None:
    heavy = "('torch', 'cv2', 'av', 'dlib', 'gradio', 'lipglance.inference.lipsync')"
    for module in ("lipglance.config", "lipglance.inference", "lipglance.pixels"):
        out = _python(f"import sys, {module}\nprint(sorted(m for m in {heavy} if m in sys.modules))")
        assert out.returncode == 0 and out.stdout.strip() == "[]", (module, out.stdout, out.stderr)
    out = _python("from lipglance.inference import LipSync\nimport lipglance\nprint(LipSync is lipglance.LipSync)")
    assert out.stdout.strip() == "True", out.stderr


def test_command_table_matches_the_modules() -> None:
    full = build_parser(everything=True)
    sub = next(a for a in full._actions if isinstance(a, argparse._SubParsersAction))
    helps = {c.dest: c.help for c in sub._choices_actions}
    assert helps == {name: line for name, (_, line) in COMMANDS.items()}
    for name, (module, _) in COMMANDS.items():
        assert hasattr(importlib.import_module(module), "add_parser"), name


def test_info_names_the_bundled_model_and_sample(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "bundled model: " in out and "default.safetensors" in out and "MODEL_CARD.md" in out
    assert "sample speech: " in out and "sample.wav" in out
    assert "try: lipglance generate --audio " in out


def test_a_missing_package_names_the_pip_command(tmp_path: Path, sample_wav: Path, astronaut_png: Path) -> None:
    out = tmp_path / "o.mp4"
    code = ("import sys\nsys.modules['torch'] = None\nfrom lipglance.cli import main\n"
            f"sys.exit(main(['generate', '--audio', {str(sample_wav)!r}, '--image', {str(astronaut_png)!r}, "
            f"'-o', {str(out)!r}]))")
    res = _python(code)
    err = res.stderr.strip().splitlines()
    assert res.returncode == 2 and len(err) == 1, res.stderr
    assert "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu" in err[0]
    assert 'pip install "lipglance[demo]"' in err[0] and not out.exists()
    res = _python("import sys\nsys.modules['gradio'] = None\nfrom lipglance.cli import main\n"
                  "sys.exit(main(['demo', '--port', '0']))")
    assert res.returncode == 2 and 'pip install "lipglance[demo]"' in res.stderr and "Traceback" not in res.stderr
