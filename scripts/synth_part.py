"""A part of the open-vocabulary synthetic corpus: its first N training shards and all its validation and test shards.

    .venv/bin/python scripts/synth_part.py data/natural_part --voices natural --train-shards 60

The corpus is `lipglance synth OUT --layout open --voices VOICES --identities 300 --sentences-per-identity 12
--seed 0` (12 clips a shard, one identity a shard); synthesising all of its 240 training shards takes hours on 2
cores, so the voice ablations (docs/sync_ablations/README.md) train on its first shards. Validation and test
(identities 240-249 and 270-279, the held-out flite slt voice) are the same clips for every voice set. Resumable:
finished shards are kept. `--copy-held FOLDER` copies those shards from another part instead of rendering them.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from lipglance.config import AudioConfig
from lipglance.data.cache import cache_params, finalize, finished_shards, init_cache, shard_name
from lipglance.data.jobs import run_jobs
from lipglance.synth.corpus.shards import plan, run_cache_job
from lipglance.synth.tts import HELDOUT_VOICES, VOICE_SETS, check_voices

IDENTITIES, SENTENCES, SEED = 300, 12, 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("out")
    p.add_argument("--voices", choices=tuple(VOICE_SETS), default="natural")
    p.add_argument("--train-shards", type=int, default=60)
    p.add_argument("--copy-held", default=None, help="a part of the same corpus holding the val/test shards")
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args()
    check_voices(VOICE_SETS[args.voices] + HELDOUT_VOICES)
    out = Path(args.out)
    jobs = plan(SEED, IDENTITIES, SENTENCES, "open", args.voices)
    held = [j.index for j in jobs if j.split != "train" and j.index % 30 < 10]  # identities 240-249, 270-279
    corpus = {"seed": SEED, "identities": IDENTITIES, "sentences_per_identity": SENTENCES, "layout": "open",
              "voices": args.voices}
    init_cache(out, {**cache_params(AudioConfig()), "synth": corpus}, "lipglance synth")
    if args.copy_held:
        for i in held:
            if not (out / "shards" / shard_name(i)).exists():
                shutil.copytree(Path(args.copy_held) / "shards" / shard_name(i), out / "shards" / shard_name(i))
    done = finished_shards(out)
    todo = [jobs[i] for i in [*range(args.train_shards), *held] if i not in done]
    run_jobs(todo, run_cache_job, (out, AudioConfig()), args.workers, lambda j: len(j.clips), "synth", "clip")
    videos, failures = finalize(out)
    print(f"{out}: {videos} clips ({len(failures)} failed)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
