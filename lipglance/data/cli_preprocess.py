"""`lipglance preprocess SRC OUT --layout ...`: videos -> the lip-crop + log-mel training cache."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from lipglance.data.cache import Video, cache_params, finalize, finished_shards, init_cache, write_shard
from lipglance.data.jobs import parse_shard, run_jobs
from lipglance.data.layouts import Source, list_sources
from lipglance.data.preprocess import PreprocessConfig, try_video
from lipglance.errors import UserError

VIDEOS_PER_SHARD = 32


@dataclass(frozen=True)
class Job:
    index: int
    sources: tuple[Source, ...]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("preprocess", help="videos (GRID, LRW, LDC, any folder) -> training cache")
    p.add_argument("src", help="dataset folder")
    p.add_argument("out", help="cache folder to write (re-run to resume)")
    p.add_argument("--layout", choices=("grid", "lrw", "ldc", "folder"), required=True)
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--shard", help="i/n: this machine's share of the work (run the rest elsewhere)")
    p.add_argument("--videos-per-shard", type=int, default=VIDEOS_PER_SHARD, help="videos per cache shard")
    p.add_argument("--test-speakers", help="comma-separated speakers held out for testing (layout default)")
    p.add_argument("--val-speakers", help="comma-separated validation speakers (layout default)")
    p.set_defaults(func=run)


def _names(spec: str | None) -> tuple[str, ...] | None:
    return tuple(x.strip() for x in spec.split(",") if x.strip()) if spec else None


def run_job(job: Job, src: Path, out: Path, cfg: PreprocessConfig) -> int:
    videos: list[Video] = []
    failures: list[dict[str, str]] = []
    for source in job.sources:
        result = try_video(src, source, cfg)
        if isinstance(result, dict):
            failures.append(result)
        else:
            videos.append(result)
    write_shard(out, job.index, videos, failures)
    return len(job.sources)


def run(args: argparse.Namespace) -> int:
    src, out = Path(args.src), Path(args.out)
    sources = list_sources(src, args.layout, _names(args.test_speakers), _names(args.val_speakers))
    cfg = PreprocessConfig()
    init_cache(out, cache_params(cfg.audio, cfg.crop_size, cfg.smoothing), "lipglance preprocess")
    per = args.videos_per_shard
    if per < 1:
        raise UserError("--videos-per-shard must be >= 1")
    jobs = [Job(i, tuple(sources[s:s + per])) for i, s in enumerate(range(0, len(sources), per))]
    i, n = parse_shard(args.shard)
    done = finished_shards(out)
    todo = [j for j in jobs if j.index % n == i and j.index not in done]
    if args.workers < 1:
        raise UserError("--workers must be >= 1")
    t0 = time.perf_counter()
    run_jobs(todo, run_job, (src, out, cfg), args.workers, lambda j: len(j.sources), "preprocess", "video")
    dt = time.perf_counter() - t0
    if len(finished_shards(out)) < len(jobs):
        print(f"{len(finished_shards(out))}/{len(jobs)} shards done; run the other --shard parts, then this "
              "command again to write the manifest")
        return 0
    videos, failures = finalize(out)
    print(f"cache complete: {videos} videos in {out} ({dt:.0f} s this run)")
    if failures:
        counts = Counter(f["reason"] for f in failures)
        print(f"skipped {len(failures)} video(s): " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())),
              file=sys.stderr)
        for f in failures:
            print(f"  {f['path']}: {f['reason']} ({f['detail']})", file=sys.stderr)
        print(f"  (listed in {out / 'failures.jsonl'})", file=sys.stderr)
    return 0
