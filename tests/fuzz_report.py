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

    def __init__(self, family_of: dict[str, str], full: bool, path: str = REPORT,
                 command: str = "GLANCE_FUZZ=full GLANCE_FUZZ_REPORT=docs/fuzz_full.json "
                                ".venv/bin/python -m pytest tests/test_fuzz.py -q") -> None:
        self.family_of = family_of
        self.full = full
        self.path, self.command = path, command
        self.rows: list[dict[str, Any]] = []
        self.extra: dict[str, Any] = {}
        self.start = time.time()

    def case(self, name: str, expect: str, outcome: str, seconds: float, detail: str = "") -> None:
        self.rows.append({"name": name, "family": self.family_of.get(name, name.split("_")[0]), "expect": expect,
                          "outcome": outcome, "seconds": round(seconds, 2), **({"detail": detail} if detail else {})})

    def summary(self) -> dict[str, Any]:
        families: dict[str, dict[str, int]] = {}
        for row in self.rows:
            f = families.setdefault(row["family"], {"inputs": 0, "ok": 0, "error": 0, "fail": 0})
            f["inputs"] += 1
            f[row["outcome"]] += 1
        outcomes = Counter(row["outcome"] for row in self.rows)
        return {
            "command": self.command if self.full else "fast subset",
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
        if self.path:
            Path(self.path).write_text(json.dumps(self.summary(), indent=1) + "\n")


def _commit() -> str:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True,
                             check=False, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "lipglance", "tests"],
                               capture_output=True, text=True, check=False, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out + (" (with uncommitted changes)" if dirty else "")


FAMILY_TEXT = {
    "audio": "files truncated, random bytes, NaN/inf/1e30 floats, 8..32-bit, 4..192 kHz, 1..8 channels, "
             "lying headers, rates changing mid-stream (files joined with cat), empty, folders, videos",
    "image": "truncated, random bytes, bit flips, decompression bombs, headers over the limits, 1 px..159 px, "
             "odd sizes x 3 renderers, RGBA/LA/grey/1-bit/palette/16-bit/CMYK/animated/WebP/TIFF/BMP/EXIF",
    "output": "-o a folder, under /proc or /sys, missing folder, a file as parent, wrong suffix, /dev/null, "
              "non-UTF-8 name, --frames a file or unwritable, disk full (file size limit) mid-write",
    "checkpoint": "re-signed checkpoints with NaN/inf, missing/extra/reshaped tensors, bad audio stats "
                  "and audio config, absurd channel counts, a broken motion probe",
    "signal": "SIGTERM and SIGINT during a 2-minute run with --frames",
    "file_name": "non-UTF-8 image and audio file names",
    "dub": "`--video` dubbing: a face video with good speech, a video without a face (refused before the first "
           "frame), undecodable/empty/sub-frame speech",
    "api": "`LipSync.generate` and `stream`, `lipglance.dub` and `dub_stream` with undecodable/empty files, "
           "1..639 samples (16 and 48 kHz), a faceless video: the package's own UserError in one line, nothing "
           "on stderr, nothing written",
    "live": "`lipglance live`: bad methods and versions, garbage, 70 KB paths, 64 KB and 200 headers, negative/huge/"
            "odd/text Content-Length, bodies cut or never sent, drip-fed headers, the thread cap, a replaced page, "
            "four pages at once",
    "demo": "`lipglance demo`: the stated upload limit, a 2 GB upload, a job's files, SIGTERM, malformed requests",
}


NOTES: dict[str, Any] = {  # the extra tests a record may hold -> their line under the table
    "kill9_training": lambda k: f"kill -9 during training: {k['kills']} kills at random moments of a run of "
                                f"{k['steps']} steps, each resumed: the final weights equal an uninterrupted run's and "
                                f"stats.jsonl holds one row per step ({k['seconds']:.0f} s; recorded only when the "
                                "test passes).",
    "kill9_last_checkpoint": lambda c: f"kill -9 between the two writes of the last step's checkpoint (a run of "
                                       f"{c['steps']} steps), resumed: the exported generator equals an "
                                       f"uninterrupted run's ({c['seconds']:.0f} s).",
    "kill9_batch_worker": lambda b: f"kill -9 of a batch worker: one of {b['workers']} workers killed while "
                                    f"{b['jobs']} jobs run: {b['made']} videos made, {b['failed']} job recorded as "
                                    f"failed, no temp file left ({b['seconds']:.0f} s).",
    "live_soak_bounded": lambda s: f"Live soak (bounded): {s['seconds']:.0f} s, speech posted as it arrives in real "
                                   f"time ({s['behind_s']:.1f} s behind at the end), {s['frames_received']} of "
                                   f"{s['frames_expected']} frames, {s['sessions_replaced']} sessions replaced, "
                                   f"resident memory {s['rss_start_mb']:.0f} -> {s['rss_end_mb']:.0f} MB, threads "
                                   f"{s['threads_start']} -> {s['threads_end']}.",
}


def table(summary: dict[str, Any]) -> str:
    """The markdown table docs/FUZZ.md shows for a recorded run (of tests/test_fuzz.py, or of the servers')."""
    servers = set(summary["families"]) <= {"live", "demo"}
    rows = ["| family | what | cases | served as expected | refused (an error status or the connection closed, in "
            "time; the page answers after) | contract broken |" if servers else
            "| family | what | inputs | success (valid mp4) | clean error (one line, exit 2 or 128 + signal, "
            "nothing written) | contract broken |", "|---|---|---|---|---|---|"]
    for name, f in summary["families"].items():
        rows.append(f"| {name} | {FAMILY_TEXT.get(name, '')} | {f['inputs']} | {f['ok']} | {f['error']} | "
                    f"{f['fail']} |")
    o = summary["outcomes"]
    rows.append(f"| **all** | | **{summary['inputs']}** | **{o['ok']}** | **{o['error']}** | **{o['fail']}** |")
    inputs_s = sum(row["seconds"] for row in summary["cases"])
    k = summary.get("kill9_training")
    rows.append("")
    for key, note in NOTES.items():
        if summary.get(key):
            rows += [note(summary[key]), ""]
    rows.append(f"Wall time {summary['wall_seconds']:.0f} s on {summary['machine']['cpus']} CPUs: {inputs_s:.0f} s "
                f"for the {summary['inputs']} {'cases' if servers else 'inputs'}"
                f"{', the rest for the kills' if k else ''} (commit "
                f"{summary['commit'][:7]}, {summary['date_utc']}).")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    import sys

    print(table(json.loads(Path(sys.argv[1]).read_text())), end="")
