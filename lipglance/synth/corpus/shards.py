"""Plan and write a synthetic corpus: identities and voices split disjointly, one shard per job.

Everything is a pure function of the seed: the same command gives the same bytes. Train
identities speak with the training voices; validation and test identities (disjoint seeds)
speak with the held-out flite slt voice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lipglance.audio import log_mel
from lipglance.config import AudioConfig
from lipglance.data.cache import Video, write_shard
from lipglance.synth.appearance import Identity
from lipglance.synth.clip import SynthClip, make_clip
from lipglance.synth.render import LipRenderer
from lipglance.synth.text import grid_sentence, lrw_word, open_sentence
from lipglance.synth.tts import HELDOUT_VOICES, VOICE_SETS

CLIPS_PER_SHARD = 50


def derive_seed(*parts: object) -> int:
    """A stable 63-bit seed from any parts (independent of Python's hash randomisation)."""
    return int.from_bytes(hashlib.sha256(repr(parts).encode()).digest()[:8], "little") >> 1


@dataclass(frozen=True)
class ClipJob:
    clip_seed: int
    voice: str
    text: str
    utterance: str


@dataclass(frozen=True)
class ShardJob:
    index: int
    split: str
    speaker: str
    identity_seed: int
    clips: tuple[ClipJob, ...]


def split_sizes(n: int) -> tuple[int, int, int]:
    """(train, validation, test) identity counts: 80/10/10, at least one of each from 3 up."""
    if n < 3:
        return n, 0, 0
    n_val = n_test = max(1, round(0.1 * n))
    return n - n_val - n_test, n_val, n_test


def plan(seed: int, identities: int, sentences: int, layout: str = "grid", voices: str = "standard") -> list[ShardJob]:
    """All shard jobs of a corpus, in a fixed order; `voices` names the training voice set (VOICE_SETS)."""
    n_train, n_val, _ = split_sizes(identities)
    jobs: list[ShardJob] = []
    for k in range(identities):
        split = "train" if k < n_train else "val" if k < n_train + n_val else "test"
        pool = VOICE_SETS[voices] if split == "train" else HELDOUT_VOICES
        ident_seed = derive_seed(seed, "identity", k)
        rng = np.random.default_rng(derive_seed(seed, "sentences", k))
        clips, used = [], set()
        for m in range(sentences):
            if layout == "lrw":
                word = lrw_word(rng)
                text, utt = word, f"{word.upper()}_{k * sentences + m + 1:05d}"  # unique across speakers
            elif layout == "open":
                text, utt = open_sentence(rng), f"u{m + 1:04d}"
            else:
                for _ in range(100):
                    text, utt = grid_sentence(rng)
                    if utt not in used:
                        break
                used.add(utt)
            clips.append(ClipJob(derive_seed(seed, "clip", k, m), str(rng.choice(pool)), text, utt))
        for c0 in range(0, sentences, CLIPS_PER_SHARD):
            jobs.append(ShardJob(len(jobs), split, f"s{k + 1}", ident_seed,
                                 tuple(clips[c0:c0 + CLIPS_PER_SHARD])))
    return jobs


def clip_meta(clip: SynthClip) -> dict[str, object]:
    """The per-clip ground truth stored in the manifest."""
    return {
        **clip.meta,
        "lead": round(clip.lead, 4),
        "phones": [[p.canon, round(p.start, 4), round(p.end, 4)] for p in clip.phones],
        "opening": [round(float(o), 3) for o in clip.opening],
    }


def run_cache_job(job: ShardJob, out: Path, audio: AudioConfig) -> int:
    """Render one shard of the cache form; returns the number of clips."""
    ident = Identity.sample(job.identity_seed)
    renderer = LipRenderer(ident)
    videos = []
    for c in job.clips:
        clip = make_clip(ident, c.voice, c.text, c.clip_seed, renderer=renderer)
        n = len(clip.frames)
        mel = log_mel(clip.wave, audio, n).numpy()
        videos.append(Video(id=f"{job.speaker}/{c.utterance}", speaker=job.speaker, utterance=c.utterance,
                            split=job.split, crops=clip.frames, mel=mel, landmarks=clip.landmarks,
                            fps=25, meta=clip_meta(clip)))
    write_shard(out, job.index, videos)
    return len(videos)
