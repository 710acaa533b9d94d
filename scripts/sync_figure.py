"""The visemes figure: mouth sync per source, from `lipglance evaluate --sync` and photo-benchmark json files.

    .venv/bin/python scripts/sync_figure.py --split NAME=SYNC.json [...] --transcript TRANSCRIPT.json \
        --photos PHOTOS.json --out docs/sync.png

Three panels (opening correlation with the truth, share of p/b/m frames closed, rounded/spread width ratio),
one group of bars per split or photo, one bar per source; the truth's width ratio is a dashed line.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SOURCES = {"generator": ("shape head", "#1f77b4"), "probe": ("motion probe (old default)", "#aaaaaa"),
           "loudness": ("loudness envelope", "#ff7f0e"), "transcript": ("transcript, force-aligned", "#9467bd"),
           "truth": ("truth", "#2ca02c")}
PANELS = (("opening_r", "opening r (vs truth)"), ("bilabial_closure", "p/b/m frames closed"),
          ("width_ratio", "rounded / spread width"))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--split", action="append", default=[], help="NAME=lipglance evaluate --sync json")
    p.add_argument("--transcript", help="benchmarks/bench_transcript.py json (its clips re-synthesized)")
    p.add_argument("--photos", help="benchmarks/bench_sync_photos.py json")
    p.add_argument("--out", required=True)
    args = p.parse_args()
    groups: dict[str, dict[str, dict[str, float]]] = {}
    for spec in args.split:
        name, path = spec.split("=", 1)
        groups[name] = json.loads(Path(path).read_text())["sources"]
    if args.transcript:
        record = json.loads(Path(args.transcript).read_text())
        sources = {"generator" if k == "head" else k: v for k, v in record["sources"].items()}
        groups[f"{Path(record['data']).name} {record['split']} (re-synth.)"] = sources
    if args.photos:
        for key, v in json.loads(Path(args.photos).read_text())["results"].items():
            photo, src = key.split("/")
            groups.setdefault(f"{photo} (dlib)", {})[src] = v
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6))
    width = 0.8 / len(SOURCES)
    for ax, (key, title) in zip(axes, PANELS, strict=True):
        for k, (src, (label, colour)) in enumerate(SOURCES.items()):
            xs = [i + (k - len(SOURCES) / 2 + 0.5) * width for i, g in enumerate(groups.values()) if src in g]
            ys = [g[src][key] for g in groups.values() if src in g]
            ax.bar(xs, ys, width, label=label, color=colour)
        ax.set_xticks(range(len(groups)), list(groups), rotation=15, fontsize=8)
        ax.set_title(title)
        if key == "width_ratio":
            ax.set_ylim(0.75, 1.05)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=8, loc="lower center", ncol=len(SOURCES))
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(args.out, dpi=90)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
