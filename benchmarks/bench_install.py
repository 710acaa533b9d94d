"""The README's pip path, word for word, in a fresh venv: does it end with a video, and how large is the venv?

    python3 benchmarks/bench_install.py [--out docs/bench/install.json]

Runs the bash block of README.md's "Install with pip" line by line from the checkout's folder, with HOME set to
a temporary folder (so `~/lipglance-venv` and `~/first.mp4` land there; the user's pip config still applies),
then the same block without the `demo` extra (the lean install). Prints and writes each venv's size (`du -sb`),
torch's share, the time taken and the video's frame count. Needs no .venv: pip takes torch from the CPU index,
or wherever this machine's pip looks.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = "lipglance-venv"  # the README's venv, under ~


def readme_lines() -> list[str]:
    """The commands of the README's "Install with pip" block, comments dropped."""
    text = (ROOT / "README.md").read_text().split("## Install with pip", 1)[1]
    block = text.split("```bash", 1)[1].split("```", 1)[0]
    return [line.split("   #", 1)[0].rstrip() for line in block.strip().splitlines()]


def du(path: Path) -> int:
    out = subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True, check=True).stdout
    return int(out.split()[0])


def frames(video: Path, python: Path) -> int:
    code = f"import av\nwith av.open({str(video)!r}) as c: print(sum(1 for _ in c.decode(video=0)))"
    return int(subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True).stdout)


def follow(lines: list[str], home: Path) -> dict[str, object]:
    """Run `lines` as one bash script (stop at the first failure) with HOME=home; measure what they left."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    user_pip = Path.home() / ".config" / "pip" / "pip.conf"
    if user_pip.is_file() and "PIP_CONFIG_FILE" not in env:  # this machine's pip set-up, though HOME moves
        env["PIP_CONFIG_FILE"] = str(user_pip)
    env["HOME"] = str(home)
    t0 = time.perf_counter()
    script = "set -euo pipefail\n" + "\n".join(lines) + "\n"
    res = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        raise SystemExit(f"the README's pip path failed (exit {res.returncode}):\n{res.stderr[-3000:]}")
    venv = home / VENV
    site = next((venv / "lib").glob("python3*/site-packages"))
    video = home / "first.mp4"
    return {"venv_bytes": du(venv), "torch_bytes": du(site / "torch"), "seconds": round(wall, 1),
            "video_frames": frames(video, venv / "bin" / "python"), "info": res.stdout.splitlines()[:2]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "bench" / "install.json")
    args = ap.parse_args()
    lines = readme_lines()
    lean = [line.replace(".whl[demo]", ".whl") for line in lines]
    assert lean != lines, "the README's block installs no [demo] extra: update this script"
    result: dict[str, object] = {"lines": lines}
    for name, block in (("demo", lines), ("lean", lean)):
        with tempfile.TemporaryDirectory(prefix="newuser-") as home:
            result[name] = follow(block, Path(home))
        print(name, json.dumps(result[name]), flush=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
