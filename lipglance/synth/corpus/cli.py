"""`lipglance synth`: write the offline talking-lips corpus (cache or video form) or a preview sheet."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import cv2

from lipglance.config import AudioConfig
from lipglance.data.cache import cache_params, finalize, finished_shards, init_cache
from lipglance.data.jobs import parse_shard, run_jobs
from lipglance.errors import UserError
from lipglance.io.outputs import atomic_write
from lipglance.synth.corpus.shards import ShardJob, plan, run_cache_job
from lipglance.synth.tts import HELDOUT_VOICES, VOICE_SETS, check_voices


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("synth", help="make the offline synthetic talking-lips corpus")
    p.add_argument("out", nargs="?", help="output folder")
    p.add_argument("--identities", type=int, default=20)
    p.add_argument("--sentences-per-identity", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--form", choices=("cache", "video"), default="cache",
                   help="cache: the training cache; video: mp4/mpg files with audio in a dataset layout")
    p.add_argument("--layout", choices=("grid", "lrw", "open"), default="grid",
                   help="sentences: GRID grammar, single LRW-like words, or open vocabulary (4-8 common words)")
    p.add_argument("--voices", choices=tuple(VOICE_SETS), default="standard",
                   help="training voices: standard (7 American/British), wide (+11 accented, 6 of them female), "
                        "natural (wide + 5 RHVoice voices of recorded speakers, phones force-aligned) or neural "
                        "(natural + 14 Kokoro-82M voices: `make neural-voices` installs them); "
                        "validation and test always use the held-out flite slt voice")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--shard", help="i/n: do only this machine's share of the shards")
    p.add_argument("--preview", metavar="PNG", help="write a contact sheet of identities and frames")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.out is None and args.preview is None:
        raise UserError("give an output folder, or --preview OUT.png")
    if args.identities < 1 or args.sentences_per_identity < 1:
        raise UserError("--identities and --sentences-per-identity must be >= 1")
    if args.layout == "open" and args.form == "video":
        raise UserError("--layout open makes a training cache only (--form cache): it has no dataset folder layout")
    check_voices(VOICE_SETS[args.voices] + HELDOUT_VOICES)
    if args.preview:
        from lipglance.synth.corpus.preview import contact_sheet

        sheet = contact_sheet(args.seed, min(args.identities, 12))
        cv2.imwrite(args.preview, cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
        print(f"wrote {args.preview}")
        if args.out is None:
            return 0
    out = Path(args.out)
    jobs = plan(args.seed, args.identities, args.sentences_per_identity, args.layout, args.voices)
    i, n = parse_shard(args.shard)
    # The plan is part of the folder's identity: resuming into a folder made with another seed or size
    # would mix two corpora (same shard numbers, different clips).
    corpus = {"seed": args.seed, "identities": args.identities,
              "sentences_per_identity": args.sentences_per_identity, "layout": args.layout}
    if args.voices != "standard":  # (corpora made before --voices existed keep their identity)
        corpus["voices"] = args.voices
    mine = [j for j in jobs if j.index % n == i]
    t0 = time.perf_counter()
    if args.form == "cache":
        audio = AudioConfig()
        init_cache(out, {**cache_params(audio), "synth": corpus}, "lipglance synth")
        done = finished_shards(out)
        todo = [j for j in mine if j.index not in done]
        clips = run_jobs(todo, run_cache_job, (out, audio), args.workers, lambda j: len(j.clips), "synth", "clip")
        if len(finished_shards(out)) == len(jobs):
            videos, _ = finalize(out)
            print(f"cache complete: {videos} clips in {out}")
        else:
            print(f"{len(finished_shards(out))}/{len(jobs)} shards done; run the other --shard parts, "
                  "then this command again to finish the manifest")
    else:
        from lipglance.synth.corpus.video import run_video_job

        _check_video_plan(out, corpus)
        todo = [j for j in mine if not _video_job_done(out, j, args.layout)]
        clips = run_jobs(todo, run_video_job, (out, args.layout), args.workers, lambda j: len(j.clips),
                         "synth", "clip")
    dt = time.perf_counter() - t0
    if clips:
        print(f"{clips} clips in {dt:.1f} s ({clips / dt:.2f} clips/s, {args.workers} workers)", file=sys.stderr)
    return 0


def _check_video_plan(out: Path, corpus: dict[str, object]) -> None:
    """Record the corpus plan in OUT/synth.json, or refuse a folder written with another plan."""
    meta = out / "synth.json"
    if meta.is_file():
        have = json.loads(meta.read_text())
        if have != corpus:
            raise UserError(f"{out} holds a corpus made with {have}, not {corpus}: use a new output folder")
        return
    out.mkdir(parents=True, exist_ok=True)
    atomic_write(meta, (json.dumps(corpus, sort_keys=True) + "\n").encode())


def _video_job_done(out: Path, job: ShardJob, layout: str) -> bool:
    from lipglance.synth.corpus.video import video_path

    return all(video_path(out, job, c, layout).is_file() for c in job.clips)


