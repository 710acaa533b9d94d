"""What a new user meets first: the pip story, dependency bounds, hints, `lipglance info`, a fast `lipglance --help`."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import av
import pytest
import tomllib
from packaging.requirements import Requirement

from lipglance import costs
from lipglance.cli import COMMANDS, GROUPS, build_parser, main
from lipglance.config import PRESETS

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
            "    pass\nprint('torch' in sys.modules, 'lipglance.inference.model.lipsync' in sys.modules)")
    assert _python(code).stdout.strip().splitlines()[-1] == "False False"
    api = _python("import lipglance, sys\nprint('torch' in sys.modules)\nlipglance.LipSync\n"
                  "print('torch' in sys.modules)")
    assert api.stdout.split() == ["False", "True"], api.stderr  # the API loads on first use


def test_config_and_the_inference_package_import_without_side_effects() -> None:
    heavy = "('torch', 'cv2', 'av', 'dlib', 'gradio', 'lipglance.inference.model.lipsync')"
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
    assert "try: lipglance generate --sample -o first.mp4" in out and "same as: lipglance generate --audio " in out


def test_a_first_video_from_the_samples(tmp_path: Path) -> None:
    res = subprocess.run([sys.executable, "-m", "lipglance", "generate", "--sample", "-o", "first.mp4", "--still"],
                         capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert res.returncode == 0, res.stderr
    with av.open(str(tmp_path / "first.mp4")) as c:
        video = c.streams.video[0]
        frames = sum(1 for _ in c.decode(video=0))
        assert (video.width, video.height) == (512, 512) and len(c.streams.audio) == 1
    assert frames == 83  # 3.3 s of the bundled speech at 25 frames/s
    res = subprocess.run([sys.executable, "-m", "lipglance", "generate", "--sample", "--batch", "jobs.csv"],
                         capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert res.returncode == 2 and "--sample" in res.stderr and "Traceback" not in res.stderr


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


def test_help_leads_with_making_a_video() -> None:
    assert sorted(n for names in GROUPS.values() for n in names) == sorted(COMMANDS)  # each command once
    res = subprocess.run([sys.executable, "-m", "lipglance", "--help"], capture_output=True, text=True, timeout=120,
                         check=False, cwd=ROOT)
    out = res.stdout
    assert res.returncode == 0 and out.startswith("usage: lipglance [-h] [--version] COMMAND ...")
    listed = [line.split()[0] for line in out.splitlines() if line.startswith("  ") and line.split()[0] in COMMANDS]
    assert listed[:6] == ["generate", "faces", "live", "demo", "export", "info"], out
    assert listed.index("train") > listed.index("info") and len(listed) == len(COMMANDS), out
    assert out.index("make a video:") < out.index("generate") < out.index("train and research") < out.index("synth")
    assert "--video" in out and "--batch" in out  # generate's line names photo, video and batch


def test_base_dependencies_are_what_generating_needs() -> None:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    base = {Requirement(r).name for r in meta["dependencies"]}
    train = {Requirement(r).name for r in meta["optional-dependencies"]["train"]}
    assert {"tensorboard", "matplotlib"} <= train and not base & {"tensorboard", "matplotlib", "gradio"}, base
    assert "train" in (ROOT / "scripts" / "setup.sh").read_text().split("pip install -q -e")[1].split("\n")[0]


def test_training_without_its_extra_says_what_to_install(tmp_path: Path) -> None:
    run = tmp_path / "run"
    code = ("import sys\nsys.modules['tensorboard'] = None\nfrom lipglance.cli import main\n"
            f"sys.exit(main(['train', 'gan', '--config', 'tiny', '--data', {str(tmp_path)!r}, '--out', {str(run)!r}]))")
    res = _python(code)
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1, res.stderr
    assert "'tensorboard' is missing (only training needs it)" in res.stderr
    assert 'pip install "lipglance[train]"' in res.stderr and not run.exists()
    photos = _python("import sys\nsys.modules['matplotlib'] = None\nfrom lipglance.samples import sample_photos\n"
                     "print([p.name for p in sample_photos()])")
    assert photos.stdout.strip() == "['astronaut.png']", photos.stderr  # generating needs no matplotlib


def test_info_answers_without_torch_or_building_a_network() -> None:
    code = ("import sys\nsys.modules['torch'] = None\nfrom lipglance.cli import main\nmain(['info'])\n"
            "heavy = ('torch', 'cv2', 'matplotlib', 'lipglance.nn')\n"
            "print(sorted(m for m, v in sys.modules.items() if v and m.startswith(heavy)))")
    res = _python(code)
    assert res.returncode == 0 and res.stdout.strip().splitlines()[-1] == "[]", res.stdout + res.stderr
    rows = {line.split()[0]: line.split()[1:] for line in res.stdout.splitlines() if line[:14].strip() in PRESETS}
    table = json.loads(costs.TABLE.read_text())
    for name in PRESETS:
        assert rows[name][:2] == [f"{table[name]['params'][k] / 1e6:.3f}" for k in ("generator", "discriminator")]
    assert "measured now" not in res.stdout and "device: cpu" in res.stdout


def test_the_cost_table_matches_the_presets_and_their_networks() -> None:
    table = json.loads(costs.TABLE.read_text())
    assert set(table) == set(PRESETS)
    for name, cfg in PRESETS.items():  # a preset changed: `python -m lipglance.costs` rewrites the table
        assert table[name]["digest"] == costs.network_digest(cfg), f"{name}: run python -m lipglance.costs"
    built = costs.measure(PRESETS["tiny"])  # builds the tiny preset's networks and counts them
    assert built["params"] == table["tiny"]["params"]
    assert built["generator_gmac"] == pytest.approx(table["tiny"]["generator_gmac"], rel=1e-6)
    assert built["discriminator_gmac"] == pytest.approx(table["tiny"]["discriminator_gmac"], rel=1e-6)


def test_a_stale_cost_row_is_measured_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = json.loads(costs.TABLE.read_text())
    table["tiny"]["params"]["generator"] += 1  # what an edited preset whose table was not rewritten would show
    table["tiny"]["digest"] = "0" * 64
    monkeypatch.setattr(costs, "TABLE", tmp_path / "costs.json")
    costs.TABLE.write_text(json.dumps(table))
    monkeypatch.setattr(costs, "PRESETS", {"tiny": PRESETS["tiny"], "small": PRESETS["small"]})
    rows = costs.preset_costs()
    assert rows["tiny"]["measured"] and not rows["small"]["measured"]
    assert rows["tiny"]["params"]["generator"] == table["tiny"]["params"]["generator"] - 1
