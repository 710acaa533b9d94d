"""`lipglance seal --round`: fit a round track onto a model's shape head; store it in the checkpoint.

The round track (lipglance.nn.seal.RoundTrack) hears ~2 s of log-mel around each frame and regresses the mouth's
width; where the model holds a fitted one, whole-recording inference scales each open frame's shape horizontally to
its width (lipglance.inference.model.windows.fit_width). It is trained on the cache's training split by the seal
track's code (lipglance.seal_fit.train_track, target "width") without a few of the training split's voices
(`--hold-out`, default every CALIBRATION_EVERY-th voice by name), on which its gain is then set so that its
rounded/spread width is the truth's (lipglance.seal_fit.ratio_gain): the cache's validation split is the test
split's held-out voice, so nothing is set on it. Scored on those calibration voices and on the test split against
the shape head's own widths (its width gain applied) and a constant width (the training clips' mean).
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np
import torch

from lipglance.data.cache import Cache
from lipglance.errors import UserError
from lipglance.seal_fit import Augment, SealClip, ratio_gain, rest_x, seal_clips, train_track, width_scores
from lipglance.shape import width_of
from lipglance.track_io import store, with_track

CALIBRATION_EVERY = 5  # by default every 5th training voice (sorted by name) calibrates the round track's gain


def calibration_voices(voices: list[str], hold_out: str | None) -> list[str]:
    """The training voices held out to calibrate on: `hold_out` (comma-separated names) or (None or "auto") every
    CALIBRATION_EVERY-th of the sorted voices, starting with the second."""
    names = sorted(set(voices))
    if hold_out and hold_out != "auto":
        picked = [v.strip() for v in hold_out.split(",") if v.strip()]
        unknown = [v for v in picked if v not in names]
        if unknown or not picked or len(picked) == len(names):
            raise UserError(f"--hold-out {hold_out}: name some, not all, of the training voices ({', '.join(names)})")
        return picked
    if len(names) < 2:
        raise UserError("a track calibrated on held-out voices needs a training split of at least two voices (one "
                        "is held out to calibrate on)")
    return names[1::CALIBRATION_EVERY]


def voice_clips(cache: Cache, mels_per_frame: int,
                hold_out: str | None) -> tuple[dict[str, list[SealClip]], list[str]]:
    """({"train": the training split without the calibration voices, "calibration": theirs, "test": the test
    split}, the calibration voices)."""
    voices = [str(it.get("meta", {}).get("voice", "")) for it in cache.split("train")]
    held = calibration_voices(voices, hold_out)
    every = seal_clips(cache, "train", mels_per_frame)
    return {"train": [c for c, v in zip(every, voices, strict=True) if v not in held],
            "calibration": [c for c, v in zip(every, voices, strict=True) if v in held],
            "test": seal_clips(cache, "test", mels_per_frame)}, held


def fit_round(args: argparse.Namespace, aug: Augment) -> int:
    """Fit, calibrate, score and store a round track (the arguments of `lipglance seal`)."""
    model, motion, extra = with_track(args.weights, args.chunk, args.seed, kind="round")
    cache = Cache(args.data)
    clips, held = voice_clips(cache, model.config.audio.mels_per_frame, args.hold_out)
    head = model.generator.shape_head
    assert head is not None and head.round is not None
    track = head.round
    with torch.no_grad():
        track.rest_x.copy_(torch.from_numpy(rest_x(cache)))
    const = 1.0 + float(np.average(np.concatenate([c.width for c in clips["train"]])))
    report: dict[str, dict[str, dict[str, float]]] = {"head": {}, "constant": {}, "track": {}, "shapes": {}}
    for s in ("calibration", "test"):  # what the track replaces, on the same frames
        report["head"][s] = width_scores(lambda mel: width_of(model.shapes_of_mel(mel)), clips[s])
        report["constant"][s] = {k: v for k, v in width_scores(lambda mel: np.full(len(mel), const), clips[s]).items()
                                 if k in ("frames", "mae", "source_round_spread", "truth_round_spread")}
    floor = float(np.log(model.config.audio.log_floor))
    train_track(track, clips["train"], args.chunk, args.steps, floor, aug=aug, seed=args.seed, target="width")
    with torch.no_grad():
        track.fitted.fill_(1.0)
    raw = width_scores(model.round_widths_of_mel, clips["calibration"])
    centre = float(np.mean([model.round_widths_of_mel(c.mel).mean() for c in clips["calibration"]])) - 1.0
    gain = ratio_gain(raw, centre)
    with torch.no_grad():
        track.centre.fill_(centre)
        track.gain.fill_(gain)
    for s in ("calibration", "test"):
        report["track"][s] = width_scores(model.round_widths_of_mel, clips[s])
        report["shapes"][s] = width_scores(lambda mel: width_of(model.shapes_of_mel(mel)), clips[s])
    record = {"cache": Path(args.data).name, "chunk": args.chunk, "steps": args.steps,
              "augment": dataclasses.asdict(aug), "calibration_voices": held, "centre": round(centre, 4),
              "gain": round(gain, 4), "uncalibrated": raw, "scores": report}
    out = store(args, model, motion, extra | {"round": record}, record)
    print("\n".join(_summary(s, report["head"][s], report["shapes"][s]) for s in ("calibration", "test")))
    print(f"wrote {out} with a round track of {args.chunk} frames (gain {gain:.3f})")
    return 0


def _summary(split: str, was: dict[str, float], now: dict[str, float]) -> str:
    return (f"{split}: rounded/spread head {was['source_round_spread']:.3f} -> track {now['source_round_spread']:.3f} "
            f"(truth {now['truth_round_spread']:.3f}); width r {was['r']:.3f} -> {now['r']:.3f}")
