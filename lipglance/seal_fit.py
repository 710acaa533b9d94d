"""Fitting the seal and round tracks (lipglance.nn.seal) on a synthetic cache: data, training, calibration, score.

Labels come from the corpus's phone timings and landmarks: a frame is a seal where its visual time lies in a p/b/m
(lipglance.shape.frame_classes "bilabial"); its width is the truth's mouth width (lipglance.shape.width_of) minus 1.
Training crops `chunk` frames from random training clips (clips shorter than a chunk are padded with silence, as
inference pads a recording's end), optionally at a random tempo (`tempo`) and through a random recording channel
(`channel`: lipglance.data.dataset.augment_log_mel with another clip as babble), normalises each band over the chunk,
warps the band axis by up to `amount` (vocal-tract length) and masks a band and a span. The seal threshold closes a
share `false_rate` of the validation split's clearly open frames (lipglance.shape.WIDE) with the logits computed as
inference does (chunks cross-faded, lipglance.inference.model.lipsync). The round track learns the width with its
rounded-vowel, spread-vowel and other frames weighted to equal totals (class balance), and its gain is set so that
its rounded/spread width on the validation split is the truth's.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from lipglance.data.cache import Cache
from lipglance.data.dataset import _lerp, augment_log_mel
from lipglance.errors import UserError
from lipglance.shape import WIDE, clip_shapes, frame_classes, opening_of, width_of

WIDTH_SCALE = 0.05  # rest widths: the width error the round track's loss counts as 1 (about the truth's spread)


@dataclass
class SealClip:
    mel: np.ndarray  # raw log-mel [4n, n_mels] float32
    seal: np.ndarray  # [n] 1.0 where the lips are sealed
    wide: np.ndarray  # [n] bool: the truth is clearly open
    width: np.ndarray  # [n] the truth's mouth width minus the rest width (rest widths)
    classes: np.ndarray  # [n] lipglance.shape.frame_classes
    weight: np.ndarray  # [n] the width loss's class-balancing weight (set by `balance`)
    tongue: np.ndarray  # [n] 1.0 where the tongue's tip is raised (an l covers half the frame's cue window or more)


def seal_clips(cache: Cache, split: str, mels_per_frame: int = 4, limit: int = 0) -> list[SealClip]:
    """Every clip of `split` (the first `limit`, when > 0) with its labels; UserError when the split is empty or a
    clip has no phone timings."""
    out = []
    items = cache.split(split)
    for item in items[:limit] if limit else items:
        if not item.get("meta", {}).get("phones"):
            raise UserError(f"{cache.root}: clip {item.get('id', '?')} has no phone timings; the seal track learns "
                            "from a synthetic cache (lipglance synth)")
        mel = np.asarray(cache.mel(item), np.float32)
        truth = clip_shapes(item, np.asarray(cache.landmarks(item)))
        n = min(len(mel) // mels_per_frame, int(item["frames"]), len(truth))
        classes = frame_classes(item, n)
        out.append(SealClip(mel[:mels_per_frame * n], (classes == "bilabial").astype(np.float32),
                            opening_of(truth[:n]) > WIDE, (width_of(truth[:n]) - 1).astype(np.float32), classes,
                            np.ones(n, np.float32), raised_tip(item, n)))
    if not out:
        raise UserError(f"{cache.root}: split '{split}' has no clips")
    return balance(out)


def raised_tip(item: dict[str, Any], n: int) -> np.ndarray:
    """[n] 1.0 where the transcript path would raise the tongue's tip (lipglance.inference.render.tongue.cues: an l
    covers at least half of the frame's cue window at the clip's own lead)."""
    from lipglance.inference.render.tongue import cues
    from lipglance.synth.tts import Phone

    phones = [Phone(c, c, s, e) for c, s, e in item["meta"]["phones"]]
    return np.array([c.raised >= 0.5 for c in cues(phones, n, float(item.get("fps", 25)), float(item["meta"]["lead"]))],
                    np.float32)


def balance(clips: list[SealClip]) -> list[SealClip]:
    """Set each frame's width weight so rounded, spread and all other frames weigh the same in total (mean 1)."""
    classes = np.concatenate([np.where(np.isin(c.classes, ("rounded", "spread")), c.classes, "") for c in clips])
    names = ("rounded", "spread", "")
    counts = {k: max(int((classes == k).sum()), 1) for k in names}
    for c in clips:
        key = np.where(np.isin(c.classes, ("rounded", "spread")), c.classes, "")
        c.weight = np.array([len(classes) / (len(names) * counts[k]) for k in key], np.float32)
    return clips


def augment(mel: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    """Bands normalised over the chunk, the band axis resampled by a factor in 1 +- `amount`, a band span and a
    time span zeroed."""
    x = (mel - mel.mean(0)) / (mel.std(0) + 1e-3)
    m = x.shape[1]
    src = np.clip(np.arange(m) * rng.uniform(1 - amount, 1 + amount), 0, m - 1)
    lo = np.floor(src).astype(int)
    hi, w = np.minimum(lo + 1, m - 1), (src - lo)[None]
    x = x[:, lo] * (1 - w) + x[:, hi] * w
    b = int(rng.integers(0, m - 12))
    x[:, b:b + int(rng.integers(0, 12))] = 0.0
    t = int(rng.integers(0, max(1, len(x) - 20)))
    x[t:t + int(rng.integers(0, 20))] = 0.0
    return x.astype(np.float32)


@dataclass(frozen=True)
class Augment:
    """Training augmentation of a track: band warp `amount`, tempo factor in 1 +- `tempo`, share `channel` of
    chunks heard through a random recording channel (0: none, as the bundled seal track was trained)."""

    amount: float = 0.15
    tempo: float = 0.0
    channel: float = 0.0


def _span(c: SealClip, a: int, length: int, chunk: int, floor: float, mpf: int) -> tuple[np.ndarray, np.ndarray]:
    """(raw log-mel [mpf chunk, M], frame positions [chunk] into the clip) of `length` frames from frame `a` of `c`,
    resampled in time to `chunk` frames; silence past the clip's end, as inference pads."""
    m = c.mel.shape[1]
    seg = c.mel[mpf * a:mpf * (a + length)]
    if len(seg) < mpf * length:
        seg = np.concatenate([seg, np.full((mpf * length - len(seg), m), floor, np.float32)])
    if length == chunk:
        return seg, a + np.arange(chunk, dtype=np.float64)
    seg = _lerp(seg, np.linspace(0, mpf * length - 1, mpf * chunk)).astype(np.float32)
    return seg, a + np.linspace(0, length - 1, chunk)


def crops(clips: list[SealClip], picks: np.ndarray, chunk: int, rng: np.random.Generator, aug: Augment,
          floor: float, mpf: int = 4, target: str = "seal") -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(mel [B, 4 chunk, M], labels [B, chunk], weights [B, chunk]) of random chunk-long spans of clips `picks`:
    `target` "seal" (weights 1 inside the clip) or "width" (the class-balancing weights)."""
    m = clips[0].mel.shape[1]
    mel = np.full((len(picks), mpf * chunk, m), floor, np.float32)
    y, valid = np.zeros((len(picks), chunk), np.float32), np.zeros((len(picks), chunk), np.float32)
    for k, i in enumerate(picks):
        c = clips[i]
        n = len(c.seal)
        length = max(2, int(round(chunk * rng.uniform(1 - aug.tempo, 1 + aug.tempo)))) if aug.tempo else chunk
        a = int(rng.integers(0, max(1, n - length + 1)))
        seg, pos = _span(c, a, length, chunk, floor, mpf)
        if aug.channel and rng.random() < aug.channel:
            other = clips[int(rng.integers(0, len(clips)))].mel
            o = int(rng.integers(0, max(1, len(other) - len(seg) + 1)))
            babble = other[o:o + len(seg)]
            seg = augment_log_mel(seg, rng, 0.0, 1.0, babble if len(babble) == len(seg) else None)
        mel[k] = augment(seg, rng, aug.amount)
        live = pos <= n - 1
        at = np.minimum(np.round(pos).astype(int), n - 1)
        if target == "width":
            y[k] = np.where(live, _lerp(c.width, np.minimum(pos, n - 1)), 0.0)
            valid[k] = np.where(live, c.weight[at], 0.0)
        else:
            y[k], valid[k] = np.where(live, labels(c, target)[at], 0.0), live
    return torch.from_numpy(mel), torch.from_numpy(y), torch.from_numpy(valid)


def labels(c: SealClip, target: str) -> np.ndarray:
    """A clip's binary labels for a detector `target`: "seal" (p/b/m) or "tongue" (the tip raised on l)."""
    return c.tongue if target == "tongue" else c.seal


def train_track(track: nn.Module, clips: list[SealClip], chunk: int, steps: int, floor: float, batch: int = 24,
                lr: float = 2e-3, aug: Augment = Augment(), seed: int = 0, target: str = "seal") -> None:
    """AdamW with a one-cycle schedule on class-balanced binary cross-entropy (seals are ~5% of frames, a raised
    tip on l ~3%: `target` "seal" or "tongue"), or for `target` "width" on the class-balanced squared width error
    (in WIDTH_SCALE units)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    opt = torch.optim.AdamW(track.parameters(), lr=lr, weight_decay=1e-2)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=steps)
    pos = float(np.mean(np.concatenate([labels(c, target) for c in clips]))) if target != "width" else 0.5
    bce = nn.BCEWithLogitsLoss(reduction="none", pos_weight=torch.tensor((1 - pos) / max(pos, 1e-6)))

    def lossf(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return ((out - y) / WIDTH_SCALE) ** 2 if target == "width" else bce(out, y)

    track.train()
    for _ in tqdm(range(steps), desc=target, unit="step", file=sys.stderr):
        mel, y, valid = crops(clips, rng.integers(0, len(clips), batch), chunk, rng, aug, floor, target=target)
        loss = (lossf(track(mel), y) * valid).sum() / valid.sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    track.eval()


def auc(seal: np.ndarray, wide: np.ndarray) -> float:
    """Probability that a seal frame's logit beats a clearly open frame's (ties count half)."""
    if not len(seal) or not len(wide):
        return float("nan")
    from scipy.stats import rankdata

    ranks = rankdata(np.concatenate([seal, wide]))[:len(seal)]
    return float((ranks.sum() - len(seal) * (len(seal) + 1) / 2) / (len(seal) * len(wide)))


def average_precision(truth: np.ndarray, scores: np.ndarray) -> float:
    """Average precision of `scores` ranking the True frames of `truth` first: the mean, over the true frames, of the
    precision of the frames ranked down to each (ties in rank order; 0 without a true frame)."""
    hits = np.asarray(truth, bool)[np.argsort(-np.asarray(scores), kind="stable")]
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float(precision[hits].mean()) if hits.any() else 0.0


def split_logits(logits_of: Callable[[np.ndarray], np.ndarray],
                 clips: list[SealClip]) -> tuple[np.ndarray, np.ndarray]:
    """(logits of every seal frame, logits of every clearly open frame) of `clips`; `logits_of` maps a clip's raw
    log-mel to its per-frame logits."""
    seal, wide = [], []
    for c in clips:
        lg = logits_of(c.mel)[:len(c.seal)]
        seal.append(lg[c.seal > 0])
        wide.append(lg[c.wide])
    return np.concatenate(seal), np.concatenate(wide)


def score(seal: np.ndarray, wide: np.ndarray, threshold: float) -> dict[str, float]:
    """Frame counts, AUC, and the shares of seal and of clearly open frames whose logit passes `threshold`."""
    return {"seal_frames": int(len(seal)), "open_frames": int(len(wide)), "auc": round(auc(seal, wide), 4),
            "seals_closed": round(float((seal > threshold).mean()), 4),
            "open_closed": round(float((wide > threshold).mean()), 4)}


def rest_x(cache: Cache, split: str = "train") -> np.ndarray:
    """The mean rest mouth's point x positions [20] about its centre in rest widths (corners at -0.5, 0.5) over the
    clips of `split`, from their upright landmarks (lipglance.shape.true_points, rest_frames)."""
    from lipglance.shape import mouth_width, rest_frames, true_points

    xs = []
    for item in cache.split(split):
        pts = true_points(item, np.asarray(cache.landmarks(item), np.float64))
        rest = pts[rest_frames(item, len(pts))].mean(0)
        xs.append((rest[:, 0] - (rest[0, 0] + rest[6, 0]) / 2) / max(float(mouth_width(rest)), 1e-6))
    x = np.mean(xs, 0)
    return (x / (x[6] - x[0])).astype(np.float32)


def width_scores(widths_of: Callable[[np.ndarray], np.ndarray], clips: list[SealClip]) -> dict[str, float]:
    """A width source against the truth on the frames of `clips` that are not sealed: mean widths (1 = rest) of
    rounded and spread frames and their ratio, for source and truth; correlation and mean absolute error."""
    pred, truth, cls = [], [], []
    for c in clips:
        keep = c.seal == 0
        pred.append(widths_of(c.mel)[:len(c.seal)][keep])
        truth.append(1.0 + c.width[keep])
        cls.append(c.classes[keep])
    p, t, k = np.concatenate(pred), np.concatenate(truth), np.concatenate(cls)
    out = {"frames": int(len(p)), "r": round(float(np.corrcoef(p, t)[0, 1]), 4) if p.std() > 0 else 0.0,
           "mae": round(float(np.abs(p - t).mean()), 4)}
    for name, w in (("source", p), ("truth", t)):
        rnd, spr = float(w[k == "rounded"].mean()), float(w[k == "spread"].mean())
        out |= {f"{name}_rounded": round(rnd, 4), f"{name}_spread": round(spr, 4),
                f"{name}_round_spread": round(rnd / spr, 4)}
    return out


def ratio_gain(raw: dict[str, float], centre: float) -> float:
    """The gain about `centre` (width minus 1) that gives widths of `width_scores` record `raw` (the network's
    uncalibrated widths) the truth's rounded/spread ratio."""
    mr, ms, want = raw["source_rounded"] - 1 - centre, raw["source_spread"] - 1 - centre, raw["truth_round_spread"]
    return float((1 + centre) * (want - 1) / (mr - want * ms))
