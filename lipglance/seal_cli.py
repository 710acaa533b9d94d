"""`lipglance seal WEIGHTS --data CACHE`: fit a seal track onto a model's shape head; store it in the checkpoint.

The shape head's closure gate decides from one 16-frame window; the seal track (lipglance.nn.seal.SealTrack) hears
~2 s around each frame and, where the model holds one, whole-recording inference (and the ONNX backend) takes the
p/b/m decision from it; the live path keeps the gate's. Trained on the cache's training split (lipglance.seal_fit),
its threshold set on the validation split (`--false`: the share of clearly open frames it may close), scored on
the test split against the gate it replaces: AUC of seal frames against clearly open ones, seals caught, open
frames closed. `lipglance seal` is to the closure gate what `lipglance motion` is to the warp renderer.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np
import torch

from lipglance.data.cache import Cache
from lipglance.errors import UserError
from lipglance.track_io import store, with_track


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("seal", help="fit the seal track that closes the lips on p/b/m; store it in a checkpoint")
    p.add_argument("weights", help="generator checkpoint with a shape head")
    p.add_argument("--data", required=True, help="a synthetic cache with phone timings (lipglance synth)")
    p.add_argument("-o", "--output", help="output checkpoint (default: rewrite WEIGHTS in place)")
    p.add_argument("--chunk", type=int, default=48, help="frames the track hears at once (even, >= 8)")
    p.add_argument("--steps", type=int, default=4000)
    p.add_argument("--false", type=float, default=0.025, dest="false_rate",
                   help="share of the validation split's clearly open frames the track may close (default 0.025: "
                        "its closures come in runs that also shut the frames around a seal, so at half the "
                        "gate's 5%% it shuts as many open frames of whole clips as the gate does)")
    p.add_argument("--round", action="store_true",
                   help="fit the round track (the mouth's width, rounding) instead of the seal track")
    p.add_argument("--tongue", action="store_true",
                   help="fit the tongue track (the tip raised on l, from the sound alone) instead of the seal track")
    p.add_argument("--precision", type=float, default=0.7,
                   help="with --tongue: the share of its firing frames on the held-out voices that are l frames or "
                        "next to one, which sets its threshold (default 0.7)")
    p.add_argument("--tempo", type=float, default=None,
                   help="training tempo change, a factor in 1 +- this (default: 0 seal, 0.15 round and tongue)")
    p.add_argument("--channel", type=float, default=None,
                   help="share of training chunks heard through a random recording channel (default: 0 seal, "
                        "0.5 round and tongue)")
    p.add_argument("--warp", type=float, default=0.15,
                   help="training band-axis warp (vocal-tract length), a factor in 1 +- this (default 0.15)")
    p.add_argument("--hold-out", default=None,
                   help="training voices (comma-separated, or 'auto': every 5th voice by name) kept out of training "
                        "to set the track's gain or threshold on (default: auto with --round or --tongue; the seal "
                        "track's threshold is set on the validation split unless this is given)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--report", help="also write the scores as this JSON file")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lipglance.seal_fit import Augment, score, seal_clips, split_logits, train_track

    if not 0.0 < args.false_rate < 1.0:
        raise UserError(f"--false {args.false_rate}: a share in (0, 1)")
    if args.steps < 1:
        raise UserError(f"--steps {args.steps}: give at least 1")
    if args.round and args.tongue:
        raise UserError("--round and --tongue: fit one track at a time")
    heard = args.round or args.tongue  # the tracks trained for unseen voices and channels
    tempo = args.tempo if args.tempo is not None else 0.15 if heard else 0.0
    channel = args.channel if args.channel is not None else 0.5 if heard else 0.0
    if not 0.0 <= tempo < 0.5 or not 0.0 <= channel <= 1.0 or not 0.0 <= args.warp < 0.5:
        raise UserError(f"--tempo {tempo} / --channel {channel} / --warp {args.warp}: give a tempo and a warp in "
                        "[0, 0.5) and a share in [0, 1]")
    aug = Augment(args.warp, tempo, channel)
    if args.round:
        from lipglance.round_cli import fit_round

        return fit_round(args, aug)
    if args.tongue:
        from lipglance.tongue_cli import fit_tongue

        return fit_tongue(args, aug)
    model, motion, extra = with_track(args.weights, args.chunk, args.seed)
    cache = Cache(args.data)
    mpf = model.config.audio.mels_per_frame
    held: list[str] = []
    if args.hold_out:  # threshold on training voices kept out of training, not on the held-out voice's val split
        from lipglance.round_cli import voice_clips

        clips, held = voice_clips(cache, mpf, args.hold_out)
        clips["val"] = clips.pop("calibration")
    else:
        clips = {s: seal_clips(cache, s, mpf) for s in ("train", "val", "test")}
    head = model.generator.shape_head
    assert head is not None and head.track is not None
    gate_th = float(head.gate_threshold)
    report: dict[str, dict[str, dict[str, float]]] = {"gate": {}, "track": {}}
    for s in ("val", "test"):  # the gate the track replaces, on the same frames
        report["gate"][s] = score(*split_logits(model.gate_logits_of_mel, clips[s]), gate_th)
    floor = float(np.log(model.config.audio.log_floor))
    train_track(head.track, clips["train"], args.chunk, args.steps, floor, aug=aug, seed=args.seed)
    with torch.no_grad():
        head.track.fitted.fill_(1.0)
    _, wide = split_logits(model.seal_logits_of_mel, clips["val"])
    threshold = float(np.quantile(wide, 1.0 - args.false_rate, method="higher"))
    with torch.no_grad():
        head.track.threshold.fill_(threshold)
    for s in ("val", "test"):
        report["track"][s] = score(*split_logits(model.seal_logits_of_mel, clips[s]), threshold)
    record = {"cache": Path(args.data).name, "chunk": args.chunk, "steps": args.steps, "false_rate": args.false_rate,
              "threshold": round(threshold, 4), "scores": report}
    if aug != Augment():
        record["augment"] = dataclasses.asdict(aug)
    if held:  # "val" in the scores: these training voices, kept out of the track's training
        record["calibration_voices"] = held
    out = store(args, model, motion, extra | {"seal": record}, record)
    for s in ("val", "test"):
        g, t = report["gate"][s], report["track"][s]
        print(f"{s}: AUC {g['auc']:.3f} -> {t['auc']:.3f}; seals closed {g['seals_closed']:.0%} -> "
              f"{t['seals_closed']:.0%} at open frames closed {g['open_closed']:.1%} -> {t['open_closed']:.1%}")
    print(f"wrote {out} with a seal track of {args.chunk} frames")
    return 0
