"""`lipglance seal --tongue`: fit a tongue track onto a model's shape head; store it in the checkpoint.

The transcript path draws the tongue's tip raised behind the upper teeth on l (lipglance.inference.render.tongue);
from the sound alone the shape head does not say where an l falls (benchmarks/bench_tongue_audio.py). The tongue
track (the seal track's network, lipglance.nn.seal.SealTrack, on its own weights) hears ~2 s of log-mel around each
frame and gives the logit that the frame shows the raised tip; where the model holds a fitted one, whole-recording
inference draws the tip where it fires (`LipSync.stream_tongues`). It is trained on the cache's training split by the
seal track's code (lipglance.seal_fit.train_track, target "tongue") without a few of its voices (`--hold-out`, as
the round track: lipglance.round_cli.voice_clips), on which its threshold is set: the lowest at which a
share `--precision` of the frames it fires on are l frames or next to one (a frame early or late shows the tip in
the same gesture; exact frames alone put the threshold where the track hardly ever fires: precision 0.6 on exact
frames fired on 0.2% of recorded speech's frames, docs/RESULTS.md). Scored there and on the test split (the
held-out voice): ROC AUC, average precision against the share of l frames (drawing at random), and at the
threshold the precision (exact and within a frame), recall and share of frames fired on.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from lipglance.data.cache import Cache
from lipglance.errors import UserError
from lipglance.round_cli import voice_clips
from lipglance.seal_fit import Augment, SealClip, auc, average_precision, train_track
from lipglance.track_io import store, with_track


def precision_threshold(logits: np.ndarray, truth: np.ndarray, precision: float) -> float:
    """The lowest threshold at which at least `precision` of the frames whose logit passes it are true (the highest
    logit when none reaches it)."""
    order = np.argsort(-logits)
    hits = np.cumsum(truth[order]) / np.arange(1, len(order) + 1)
    ok = np.flatnonzero(hits >= precision)
    return float(logits[order[ok[-1]]]) - 1e-6 if len(ok) else float(logits[order[0]])


def within_a_frame(truths: list[np.ndarray]) -> np.ndarray:
    """Per clip's labels [n], 1.0 on a true frame and on the frames next to one; concatenated."""
    return np.concatenate([(np.convolve(t, np.ones(3), "same") > 0).astype(np.float32) for t in truths])


def detection_scores(logits: np.ndarray, truth: np.ndarray, near: np.ndarray, threshold: float) -> dict[str, float]:
    """Frame counts, ROC AUC, average precision (against `prior`, the share of true frames), and at `threshold` the
    precision (of `truth`, and of `near`: true frames and their neighbours), recall and firing share."""
    pos, fired = truth > 0, logits > threshold
    return {"frames": int(len(truth)), "l_frames": int(pos.sum()), "prior": round(float(pos.mean()), 4),
            "auc": round(auc(logits[pos], logits[~pos]), 4),
            "average_precision": round(average_precision(pos, logits), 4),
            "precision": round(float(pos[fired].mean()) if fired.any() else 0.0, 4),
            "precision_within_a_frame": round(float(near[fired].mean()) if fired.any() else 0.0, 4),
            "recall": round(float(fired[pos].mean()), 4), "fired": round(float(fired.mean()), 4)}


def _logits(model_logits: Callable[[np.ndarray], np.ndarray],
            clips: list[SealClip]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(logits, l frames, l frames and their neighbours) over `clips`, concatenated."""
    lg = [model_logits(c.mel)[:len(c.tongue)] for c in clips]
    return np.concatenate(lg), np.concatenate([c.tongue for c in clips]), within_a_frame([c.tongue for c in clips])


def fit_tongue(args: argparse.Namespace, aug: Augment) -> int:
    """Fit, set the threshold of, score and store a tongue track (the arguments of `lipglance seal`)."""
    if not 0.0 < args.precision < 1.0:
        raise UserError(f"--precision {args.precision}: a share in (0, 1)")
    model, motion, extra = with_track(args.weights, args.chunk, args.seed, kind="tongue")
    clips, held = voice_clips(Cache(args.data), model.config.audio.mels_per_frame, args.hold_out)
    head = model.generator.shape_head
    assert head is not None and head.tongue is not None
    floor = float(np.log(model.config.audio.log_floor))
    train_track(head.tongue, clips["train"], args.chunk, args.steps, floor, aug=aug, seed=args.seed, target="tongue")
    logits, _, near = _logits(model.tongue_logits_of_mel, clips["calibration"])
    threshold = precision_threshold(logits, near, args.precision)
    with torch.no_grad():
        head.tongue.fitted.fill_(1.0)
        head.tongue.threshold.fill_(threshold)
    report = {s: detection_scores(*_logits(model.tongue_logits_of_mel, clips[s]), threshold)
              for s in ("calibration", "test")}
    record = {"cache": Path(args.data).name, "chunk": args.chunk, "steps": args.steps,
              "augment": dataclasses.asdict(aug), "calibration_voices": held, "precision_target": args.precision,
              "threshold": round(threshold, 4), "scores": report}
    out = store(args, model, motion, extra | {"tongue": record}, record)
    for s, r in report.items():
        print(f"{s}: l frames {r['l_frames']} of {r['frames']} (prior {r['prior']:.3f}); AUC {r['auc']:.3f}, average "
              f"precision {r['average_precision']:.3f}; at the threshold precision {r['precision']:.3f} (within a "
              f"frame {r['precision_within_a_frame']:.3f}), recall {r['recall']:.3f}")
    print(f"wrote {out} with a tongue track of {args.chunk} frames (threshold {threshold:.3f})")
    return 0
