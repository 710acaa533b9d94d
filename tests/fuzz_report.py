"""A json record of a fuzz run (GLANCE_FUZZ_REPORT=path): each case's family, expected and actual outcome, seconds.

docs/fuzz_full.json is such a record of the full campaign; docs/FUZZ.md gives its figures and the command.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPORT = os.environ.get("GLANCE_FUZZ_REPORT", "")
ROOT = Path(__file__).resolve().parents[1]


class Recorder:
    """Collects one row per case (and per extra test) and writes the summary once the module ends."""

    def __init__(self, family_of: dict[str, str], full: bool) -> None:
        self.family_of = family_of
        self.full = full
        self.rows: list[dict[str, Any]] = []
        self.extra: dict[str, Any] = {}
        self.start = time.time()

    def case(self, name: str, expect: str, outcome: str, seconds: float, detail: str = "") -> None:
        self.rows.append({"name": name, "family": self.family_of.get(name, "other"), "expect": expect,
                          "outcome": outcome, "seconds": round(seconds, 2), **({"detail": detail} if detail else {})})

    def summary(self) -> dict[str, Any]:
        families: dict[str, dict[str, int]] = {}
        for row in self.rows:
            f = families.setdefault(row["family"], {"inputs": 0, "ok": 0, "error": 0, "fail": 0})
            f["inputs"] += 1
            f[row["outcome"]] += 1
        outcomes = Counter(row["outcome"] for row in self.rows)
        return {
            "command": "GLANCE_FUZZ=full GLANCE_FUZZ_REPORT=docs/fuzz_full.json "
                       ".venv/bin/python -m pytest tests/test_fuzz.py -q" if self.full else "fast subset",
            "commit": _commit(),
            "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
            "wall_seconds": round(time.time() - self.start, 1),
            "inputs": len(self.rows),
            "outcomes": {"ok": outcomes["ok"], "error": outcomes["error"], "fail": outcomes["fail"]},
            "families": families,
            **self.extra,
            "cases": self.rows,
        }

    def write(self) -> None:
        if REPORT:
            Path(REPORT).write_text(json.dumps(self.summary(), indent=1) + "\n")


def _commit() -> str:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True,
                             check=False, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "glance", "tests"],
                               capture_output=True, text=True, check=False, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out + (" (with uncommitted changes)" if dirty else "")
