"""Can the sound alone place the tongue's tip (issue 25, item 3)? The shape head's outputs against known phones.

The transcript path draws the tongue's tip on th/dh (between the teeth) and l (raised) from the phones
(lipglance.inference.render.tongue.cues). From audio alone the renderer has only the shape head's mouth shapes.
This asks whether those already say where th/dh and l fall: on a synthetic corpus (its phone timings known), per
frame, a logistic regression from the head's shapes (the frame and its two neighbours, and the change from the
previous frame: 160 numbers) to "th/dh" and to "l" (the cue's share of the frame >= 0.5), fitted on the
validation split and scored on the test split (held-out identities and voice). Scored: ROC AUC, average
precision against the prior (the share of positive frames: what drawing at random would reach), and the
precision of drawing the tip on as many frames as there are positives; also on frames with parted lips only
(opening > NEAR_CLOSED), where a tip could show.

    .venv/bin/python benchmarks/bench_tongue_audio.py --data data/open_wide --out docs/tongue_audio.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from lipglance.data.cache import Cache
from lipglance.inference.model.lipsync import LipSync
from lipglance.inference.render.shape import NEAR_CLOSED
from lipglance.inference.render.tongue import cues
from lipglance.seal_fit import auc, average_precision
from lipglance.shape import opening_of
from lipglance.synth.tts import Phone


def frames(cache: Cache, model: LipSync, split: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(features [T, 160], th/dh [T] bool, l [T] bool, opening [T]) over the split's clips."""
    feats, tip, ridge, opening = [], [], [], []
    for item in cache.split(split):
        shapes = model.shapes_of_mel(cache.mel(item))
        n = len(shapes)
        phones = [Phone(c, c, s, e) for c, s, e in item["meta"]["phones"]]
        cue = cues(phones, n, float(item.get("fps", 25)), float(item["meta"]["lead"]))
        f = shapes.reshape(n, -1)
        feats.append(np.concatenate([np.roll(f, 1, 0), f, np.roll(f, -1, 0), f - np.roll(f, 1, 0)], 1))
        tip.append([c.between >= 0.5 for c in cue])
        ridge.append([c.raised >= 0.5 for c in cue])
        opening.append(opening_of(shapes))
    return (np.concatenate(feats), np.concatenate(tip), np.concatenate(ridge), np.concatenate(opening))


def logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 25) -> tuple[np.ndarray, np.ndarray]:
    """(mean, std) standardisation folded into weights [D + 1] of an L2-regularised logistic regression (Newton)."""
    mean, std = x.mean(0), x.std(0) + 1e-6
    z = np.concatenate([(x - mean) / std, np.ones((len(x), 1))], 1)
    w = np.zeros(z.shape[1])
    reg = l2 * np.eye(len(w))
    reg[-1, -1] = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-z @ w))
        grad = z.T @ (p - y) + reg @ w
        w -= np.linalg.solve(z.T @ (z * (p * (1 - p))[:, None]) + reg, grad)
    return w, np.stack([mean, std])


def predict(w: np.ndarray, norm: np.ndarray, x: np.ndarray) -> np.ndarray:
    z = np.concatenate([(x - norm[0]) / norm[1], np.ones((len(x), 1))], 1)
    return 1 / (1 + np.exp(-z @ w))


def score(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """ROC AUC (Mann-Whitney, ties halved), average precision, precision on the top positives-many frames."""
    k, n = int(y.sum()), len(y)
    hits = y[np.argsort(-p, kind="stable")]
    return {"frames": n, "positives": k, "prior": float(y.mean()),
            "auc": auc(p[y], p[~y]) if 0 < k < n else 0.0,
            "average_precision": average_precision(y, p),
            "precision_at_positives": float(hits[:k].mean()) if k else 0.0}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="a synthetic corpus cache (lipglance synth)")
    ap.add_argument("--weights", default=None)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    cache, model = Cache(args.data), LipSync.from_pretrained(args.weights)
    xv, tv, rv, _ = frames(cache, model, "val")
    xt, tt, rt, ot = frames(cache, model, "test")
    parted = ot > NEAR_CLOSED
    result: dict[str, object] = {"data": args.data, "weights": args.weights or "bundled"}
    for name, yv, yt in (("th_dh", tv, tt), ("l", rv, rt)):
        p = predict(*logistic(xv, yv.astype(np.float64)), xt)
        result[name] = {"all": score(yt, p), "parted": score(yt[parted], p[parted])}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
