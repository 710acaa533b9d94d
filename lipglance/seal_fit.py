"""Fitting the seal track (lipglance.nn.seal.SealTrack) on a synthetic cache: data, training, calibration, score.

Labels come from the corpus's phone timings: a frame is a seal where its visual time lies in a p/b/m
(lipglance.shape.frame_classes "bilabial"). Training crops `chunk` frames from random training clips (clips shorter
than a chunk are padded with silence, as inference pads a recording's end), normalises each band over the chunk,
warps the band axis by up to `amount` (vocal-tract length) and masks a band and a span. The threshold closes a share
`false_rate` of the validation split's clearly open frames (lipglance.shape.WIDE) with the logits computed as
inference does (chunks cross-faded, lipglance.inference.model.lipsync).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from lipglance.data.cache import Cache
from lipglance.errors import UserError
from lipglance.shape import WIDE, clip_shapes, frame_classes, opening_of


@dataclass
class SealClip:
    mel: np.ndarray  # raw log-mel [4n, n_mels] float32
    seal: np.ndarray  # [n] 1.0 where the lips are sealed
    wide: np.ndarray  # [n] bool: the truth is clearly open


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
        seal = (frame_classes(item, n) == "bilabial").astype(np.float32)
        out.append(SealClip(mel[:mels_per_frame * n], seal, opening_of(truth[:n]) > WIDE))
    if not out:
        raise UserError(f"{cache.root}: split '{split}' has no clips")
    return out


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


def crops(clips: list[SealClip], picks: np.ndarray, chunk: int, rng: np.random.Generator, amount: float,
          floor: float, mpf: int = 4) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(mel [B, 4 chunk, M], labels [B, chunk], valid [B, chunk]) of random chunk-long spans of clips `picks`."""
    m = clips[0].mel.shape[1]
    mel = np.full((len(picks), mpf * chunk, m), floor, np.float32)
    y, valid = np.zeros((len(picks), chunk), np.float32), np.zeros((len(picks), chunk), np.float32)
    for k, i in enumerate(picks):
        c = clips[i]
        n = len(c.seal)
        a = int(rng.integers(0, max(1, n - chunk + 1)))
        seg = c.mel[mpf * a:mpf * (a + chunk)]
        if len(seg) < mpf * chunk:  # a short clip: silence after its end, as inference pads
            seg = np.concatenate([seg, np.full((mpf * chunk - len(seg), m), floor, np.float32)])
        live = min(chunk, n - a)
        x = augment(seg, rng, amount)
        mel[k] = x
        y[k, :live], valid[k, :live] = c.seal[a:a + live], 1.0
    return torch.from_numpy(mel), torch.from_numpy(y), torch.from_numpy(valid)


def train_track(track: nn.Module, clips: list[SealClip], chunk: int, steps: int, floor: float, batch: int = 24,
                lr: float = 2e-3, amount: float = 0.15, seed: int = 0) -> None:
    """AdamW with a one-cycle schedule on class-balanced binary cross-entropy (seals are ~5% of frames)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    opt = torch.optim.AdamW(track.parameters(), lr=lr, weight_decay=1e-2)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=steps)
    pos = float(np.mean(np.concatenate([c.seal for c in clips])))
    lossf = nn.BCEWithLogitsLoss(reduction="none", pos_weight=torch.tensor((1 - pos) / max(pos, 1e-6)))
    track.train()
    for _ in tqdm(range(steps), desc="seal", unit="step", file=sys.stderr):
        mel, y, valid = crops(clips, rng.integers(0, len(clips), batch), chunk, rng, amount, floor)
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
