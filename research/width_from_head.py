"""Prototype: the bundled model's shapes (its openings, seals and pauses) with the mouth width of another model's head.

    .venv/bin/python research/width_from_head.py --width-model W --data data/wide_part --bench heldout \\
        --out docs/sync_ablations/voices_combo_heldout
    .venv/bin/python research/width_from_head.py --width-model W --data data/wide_part --bench recorded \\
        --out docs/sync_ablations/voices_combo_recphotos
    .venv/bin/python research/width_from_head.py --width-model W --data data/wide_part --bench photos \\
        --out docs/sync_ablations/voices_combo_sltphotos [--voice rhvoice-slt]

Every frame the bundled head leaves open (not the closure gate's sealed shape) is scaled horizontally about its
corners' midpoint to the width of the same frame from the `--width-model`'s head (with that model's own width gain;
lipglance.inference.model.windows.fit_width, as a round track's widths are applied), so the openings, the seals and
the pause gate are the bundled model's and only the widths change. `--bench` runs, with that model in place of the
bundled one: `heldout` = `lipglance evaluate --sync --limit 120` on the corpus's test split (the held-out voice),
`recorded` = benchmarks/bench_sync_recorded.py --photos --photo-drivers model, `photos` =
benchmarks/bench_sync_photos.py --sources generator (with `--voice`). The rest mouth's point positions come from the
corpus (lipglance.seal_fit.rest_x). `--keep-closed`: frames the bundled head draws nearly closed keep its width.
Not a product path: a shipped version would hold the second head in the checkpoint
and run it in the live and ONNX paths too.
"""

from __future__ import annotations

import argparse
import runpy
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from lipglance.cli import main as cli  # noqa: E402
from lipglance.data.cache import Cache  # noqa: E402
from lipglance.inference.model.lipsync import LipSync  # noqa: E402
from lipglance.inference.model.windows import fit_width  # noqa: E402
from lipglance.seal_fit import rest_x  # noqa: E402
from lipglance.shape import CLOSED, opening_of, width_of  # noqa: E402


def install(width_model: LipSync, rest: np.ndarray, keep_closed: bool = False) -> None:
    """Make every other LipSync take its open frames' widths from `width_model`'s head (with `keep_closed`, only
    the frames it draws open by CLOSED or more)."""
    shapes = LipSync._shapes

    def combined(self: LipSync, mel_at: Any, n: int, batch: int) -> Iterator[np.ndarray]:
        if self is width_model:
            yield from shapes(self, mel_at, n, batch)
            return
        gate = self.shape_gate()
        assert gate is not None
        for own, other in zip(shapes(self, mel_at, n, batch), shapes(width_model, mel_at, n, batch), strict=True):
            keep = np.allclose(own, gate[2]) or (keep_closed and float(opening_of(own)) < CLOSED)
            yield own if keep else fit_width(own, float(width_of(other)), rest)

    LipSync._shapes = combined  # type: ignore[method-assign]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--width-model", required=True, help="the checkpoint whose head gives the widths")
    p.add_argument("--data", required=True, help="a lipglance synth corpus (rest mouth; `heldout`: its test split)")
    p.add_argument("--bench", choices=("heldout", "recorded", "photos"), required=True)
    p.add_argument("--voice", default=None, help="`photos`: the voice (bench_sync_photos.py --voice)")
    p.add_argument("--keep-closed", action="store_true", help="frames the bundled head draws nearly closed "
                   "(opening below lipglance.shape.CLOSED) keep its width")
    p.add_argument("--out", required=True, help="output stem")
    args = p.parse_args()
    install(LipSync.from_pretrained(args.width_model), rest_x(Cache(args.data)), args.keep_closed)
    if args.bench == "heldout":
        return cli(["evaluate", "lipglance/assets/default.safetensors", "--data", args.data, "--sync", "--limit", "120",
                    "--out", args.out])
    if args.bench == "recorded":
        sys.argv = ["bench_sync_recorded.py", "--sync-json", "docs/sync.json", "--photos", "--photo-drivers", "model",
                    "--out", args.out]
        runpy.run_path(str(ROOT / "benchmarks" / "bench_sync_recorded.py"), run_name="__main__")
        return 0
    sys.argv = ["bench_sync_photos.py", "--weights", "lipglance/assets/default.safetensors", "--sync-json",
                "docs/sync.json", "--sources", "generator", "--out", args.out,
                *(["--voice", args.voice] if args.voice else [])]
    runpy.run_path(str(ROOT / "benchmarks" / "bench_sync_photos.py"), run_name="__main__")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
