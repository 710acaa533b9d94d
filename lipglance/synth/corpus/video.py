"""Video form of the corpus: a real face photo speaking, written in the GRID or LRW folder layout.

GRID: OUT/sN/UTTERANCE.mpg (MPEG-1 + MP2, 360x288, 25 fps).
LRW:  OUT/WORD/{train,val,test}/WORD_NNNNN.mp4 (H.264 + AAC, 256x256, 25 fps).
Ground truth (20 mouth points per frame in image pixels, articulation, phonemes, lead) goes
to OUT/_groundtruth/<same relative path>.npz, outside every video folder.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np

from lipglance.io.video import write_video
from lipglance.samples import sample_photos
from lipglance.synth.articulation import trajectory
from lipglance.synth.clip import FPS, pad_speech
from lipglance.synth.corpus.shards import ClipJob, ShardJob
from lipglance.synth.photo import TalkingPhoto, fit_frame
from lipglance.synth.tts import synthesize

GROUND_TRUTH = "_groundtruth"
SIZES = {"grid": (360, 288), "lrw": (256, 256)}


@functools.cache
def _talking_photo(index: int, layout: str) -> TalkingPhoto:
    import cv2

    photos = sample_photos()
    path = photos[index % len(photos)]
    bgr = cv2.imread(str(path))
    if bgr is None:
        raise FileNotFoundError(f"cannot read the photo {path}")
    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    return TalkingPhoto(fit_frame(rgb, SIZES[layout], 0.3 if layout == "grid" else 0.45))


def video_path(out: Path, job: ShardJob, clip: ClipJob, layout: str) -> Path:
    if layout in ("grid", "open"):
        return out / job.speaker / f"{clip.utterance}.mpg"
    word = clip.utterance.split("_")[0]
    return out / word / job.split / f"{clip.utterance}.mp4"


def run_video_job(job: ShardJob, out: Path, layout: str) -> int:
    """Write every clip of one job as a video file with its ground-truth sidecar."""
    speaker_index = int(job.speaker[1:]) - 1
    photo = _talking_photo(speaker_index, layout)
    for c in job.clips:
        rng = np.random.default_rng([c.clip_seed, 5])
        rate, pitch = float(rng.uniform(0.85, 1.15)), float(rng.uniform(0.9, 1.1))
        speech = synthesize(c.text, c.voice, rate, pitch)
        wave, phones, n = pad_speech(speech, float(rng.uniform(0.2, 0.5)), float(rng.uniform(0.2, 0.4)))
        lead = float(rng.uniform(0.0, 0.12))
        art = trajectory(phones, n, FPS, lead)
        frames, points = zip(*(photo.frame(a) for a in art), strict=True)
        path = video_path(out, job, c, layout)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp{path.suffix}")
        wave = wave * (0.8 / max(1e-3, float(np.abs(wave).max())))
        write_video(tmp, frames, FPS, wave, 16000, "mpeg" if layout == "grid" else "mp4")
        gt = out / GROUND_TRUTH / path.relative_to(out).with_suffix(".npz")
        gt.parent.mkdir(parents=True, exist_ok=True)
        meta = {"text": c.text, "voice": c.voice, "lead": lead, "split": job.split,
                "phones": [[p.canon, p.start, p.end] for p in phones]}
        np.savez(gt, landmarks=np.stack(points).astype(np.float32), articulation=art, meta=json.dumps(meta))
        tmp.rename(path)
    return len(job.clips)
