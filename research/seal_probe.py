"""Can a dedicated seal detector with whole-utterance context tell sealed lips from open ones on a held-out voice?

    OMP_NUM_THREADS=2 .venv/bin/python research/seal_probe.py --data data/open_wide --out docs/sync_ablations/seal_probe

A research probe for the p/b/m closure target (docs/RESULTS.md, "Visemes"), independent of the shipped shape head:
a small network reads the clip's whole log-mel (per-utterance mean/variance normalised per band, vocal-tract-length
warped and band/time masked in training) and gives a seal logit per 25 fps frame, trained with the corpus's phone
timings (frames shown sealed by p/b/m = 1, every other frame = 0). Reported as scripts/gate_report.py does: AUC of
seal frames against clearly open frames per split, and the share of seals caught at the threshold that closes 5% of
the validation split's open frames. Writes OUT.json and OUT.md.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from lipglance.data.cache import Cache
from lipglance.nn.seal import SealDetector
from lipglance.shape import WIDE, clip_shapes, frame_classes, opening_of

LIMITS = {"train": 150, "val": 0, "test": 0}


def load(cache: Cache, split: str, limit: int = 0, norm: str = "utterance"
         ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per clip: (normalised log-mel [4T, M] float32, seal label [T], clearly-open mask [T]); normalised per
    band over the clip (`utterance`) or with the corpus's statistics (`corpus`, as the generator's input)."""
    out = []
    stats = cache.stats()
    items = cache.split(split)
    for it in items[:limit] if limit else items:
        mel = np.asarray(cache.mel(it), np.float32)
        n = min(len(mel) // 4, int(it["frames"]))
        truth = clip_shapes(it, np.asarray(cache.landmarks(it)))
        n = min(n, len(truth))
        mel = mel[: 4 * n]
        if norm == "utterance":
            mel = (mel - mel.mean(0)) / (mel.std(0) + 1e-3)
        else:
            mel = np.asarray(stats.normalize(torch.from_numpy(mel)), np.float32)
        seal = (frame_classes(it, n) == "bilabial").astype(np.float32)
        out.append((mel, seal, opening_of(truth[:n]) > WIDE))
    return out


class SealNet(nn.Module):
    """Conv front end over bands, then a bidirectional GRU over time, pooled to video frames (4 mel frames each)."""

    def __init__(self, n_mels: int = 128, width: int = 96, hidden: int = 64) -> None:
        super().__init__()
        self.front = nn.Sequential(
            nn.Conv1d(n_mels, width, 5, padding=2), nn.GELU(),
            nn.Conv1d(width, width, 5, padding=2, stride=2), nn.GELU(),
            nn.Conv1d(width, width, 3, padding=1, stride=2), nn.GELU())
        self.rnn = nn.GRU(width, hidden, num_layers=2, batch_first=True, bidirectional=True, dropout=0.1)
        self.out = nn.Linear(2 * hidden, 1)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:  # [B, 4T, M] -> [B, T]
        h = self.front(mel.transpose(1, 2)).transpose(1, 2)
        h, _ = self.rnn(h)
        return self.out(h).squeeze(-1)


class CausalConv(nn.Conv1d):
    """A 1-D convolution that sees only the present and the past (padding on the left)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pad = (self.kernel_size[0] - 1) * self.dilation[0]
        return super().forward(nn.functional.pad(x, (pad, 0)))


class SealTCN(nn.Module):
    """Causal convolutions (front at 100 Hz, dilated stack at 25 fps); the output for frame t is read `future`
    frames later, so the detector sees `future` frames (40 ms each) ahead and about 1.3 s behind."""

    def __init__(self, n_mels: int = 128, width: int = 96, future: int = 4) -> None:
        super().__init__()
        self.future = future
        layers: list[nn.Module] = [CausalConv(n_mels, width, 5), nn.GELU(), CausalConv(width, width, 4, stride=2),
                                   nn.GELU(), CausalConv(width, width, 2, stride=2), nn.GELU()]
        for d in (1, 2, 4, 8):
            layers += [CausalConv(width, width, 3, dilation=d), nn.GELU()]
        self.net = nn.Sequential(*layers)
        self.out = nn.Conv1d(width, 1, 1)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:  # [B, 4T, M] -> [B, T]
        t = mel.shape[1] // 4
        x = nn.functional.pad(mel.transpose(1, 2), (0, 4 * self.future))
        return self.out(self.net(x))[:, 0, self.future : self.future + t]


class SealWindow(SealDetector):
    """Non-causal convolutions over one generator window of log-mel [B, 4T, M], normalised per window and band
    inside: what a closure gate inside the shape head can see (windows cross-faded at inference). The shape
    head's own window detector (lipglance.nn.seal.SealDetector, config `shape_seal`), fed without its channel axis."""

    def __init__(self, n_mels: int = 128, width: int = 96) -> None:
        super().__init__(n_mels, width)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        return super().forward(mel[:, None])


def windowed(net: nn.Module, mel: np.ndarray, frames: int = 16) -> np.ndarray:
    """Per-frame logits of a whole clip from overlapping windows (hop frames/2), cross-faded as inference does."""
    from lipglance.inference.model.windows import crossfade

    n, hop = len(mel) // 4, frames // 2
    n_win = max(1, -(-(n - frames) // hop) + 1)
    pad = np.zeros((4 * ((n_win - 1) * hop + frames), mel.shape[1]), np.float32)
    pad[: len(mel)] = mel
    x = torch.from_numpy(np.stack([pad[4 * i * hop : 4 * (i * hop + frames)] for i in range(n_win)]))
    with torch.no_grad():
        chunks = net(x).numpy()
    return np.array(list(crossfade(iter(chunks), n, frames)))


def warp(mel: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    """Vocal-tract-length perturbation: resample the band axis by a random factor, then mask a band and a span."""
    m = mel.shape[1]
    f = rng.uniform(1 - amount, 1 + amount)
    src = np.clip(np.arange(m) * f, 0, m - 1)
    lo = np.floor(src).astype(int)
    hi = np.minimum(lo + 1, m - 1)
    w = (src - lo)[None]
    out = mel[:, lo] * (1 - w) + mel[:, hi] * w
    b = rng.integers(0, m - 12)
    out[:, b : b + rng.integers(0, 12)] = 0.0
    t = rng.integers(0, max(1, len(out) - 20))
    out[t : t + rng.integers(0, 20)] = 0.0
    return out


def crop(mel: torch.Tensor, y: torch.Tensor, valid: torch.Tensor, frames: int, rng: np.random.Generator) -> tuple:
    """A random span of `frames` frames of each clip of a batch, its bands normalised over the span."""
    out_m, out_y, out_v = [], [], []
    for k in range(len(y)):
        n = int(valid[k].gt(0).sum())
        a = int(rng.integers(0, max(1, n - frames + 1)))
        m = mel[k, 4 * a : 4 * (a + frames)]
        m = torch.nn.functional.pad(m, (0, 0, 0, 4 * frames - len(m)))
        live = m.abs().sum(1) > 0
        mu = m[live].mean(0) if live.any() else m.mean(0)
        sd = m[live].std(0) if live.sum() > 1 else torch.ones_like(mu)
        out_m.append((m - mu) / (sd + 1e-3) * live[:, None])
        out_y.append(torch.nn.functional.pad(y[k, a : a + frames], (0, frames - len(y[k, a : a + frames]))))
        out_v.append(torch.nn.functional.pad(valid[k, a : a + frames], (0, frames - len(valid[k, a : a + frames]))))
    return torch.stack(out_m), torch.stack(out_y), torch.stack(out_v)


def window_batch(clips: list, idx: np.ndarray, rng: np.random.Generator, amount: float, frames: int = 16) -> tuple:
    mel = np.zeros((len(idx), 4 * frames, clips[0][0].shape[1]), np.float32)
    y = np.zeros((len(idx), frames), np.float32)
    valid = np.zeros((len(idx), frames), np.float32)
    for k, i in enumerate(idx):
        m, s, _ = clips[i]
        a = int(rng.integers(0, max(1, len(s) - frames + 1)))
        seg = warp(m[4 * a : 4 * (a + frames)], rng, amount)
        mel[k, : len(seg)] = seg
        y[k, : len(s[a : a + frames])] = s[a : a + frames]
        valid[k, : len(s[a : a + frames])] = 1
    return torch.from_numpy(mel), torch.from_numpy(y), torch.from_numpy(valid)


def batch(clips: list, idx: np.ndarray, rng: np.random.Generator | None, amount: float,
          other: float = 1.0) -> tuple:
    n = max(len(clips[i][1]) for i in idx)
    mel = np.zeros((len(idx), 4 * n, clips[0][0].shape[1]), np.float32)
    y = np.zeros((len(idx), n), np.float32)
    valid = np.zeros((len(idx), n), np.float32)
    for k, i in enumerate(idx):
        m, s, o = clips[i]
        mel[k, : len(m)] = warp(m, rng, amount) if rng is not None else m
        y[k, : len(s)] = s
        valid[k, : len(s)] = np.where((s > 0) | o, 1.0, other)
    return torch.from_numpy(mel), torch.from_numpy(y), torch.from_numpy(valid)


def chunked(net: nn.Module, mel: np.ndarray, frames: int) -> np.ndarray:
    """Per-frame logits of a whole clip from overlapping chunks of `frames` frames (hop frames/2, each normalised
    per band on its own), cross-faded as inference does: memory bounded whatever the clip's length."""
    from lipglance.inference.model.windows import crossfade

    n, hop = len(mel) // 4, frames // 2
    n_win = max(1, -(-(n - frames) // hop) + 1)
    pad = np.zeros((4 * ((n_win - 1) * hop + frames), mel.shape[1]), np.float32)
    pad[: len(mel)] = mel
    chunks = []
    with torch.no_grad():
        for i in range(n_win):
            x = pad[4 * i * hop : 4 * (i * hop + frames)]
            x = (x - x.mean(0)) / (x.std(0) + 1e-3)
            chunks.append(net(torch.from_numpy(x)[None])[0].numpy())
    return np.array(list(crossfade(iter(chunks), n, frames)))


CHUNK = 0  # frames of a chunk at evaluation (0: the whole clip at once)


def logits(net: nn.Module, clips: list) -> list[np.ndarray]:
    net.eval()
    with torch.no_grad():
        if isinstance(net, SealWindow):
            return [windowed(net, m)[: len(s)] for m, s, _ in clips]
        if CHUNK:
            return [chunked(net, m, CHUNK)[: len(s)] for m, s, _ in clips]
        return [net(torch.from_numpy(m)[None])[0, : len(s)].numpy() for m, s, _ in clips]


def score(net: nn.Module, clips: list) -> tuple[np.ndarray, np.ndarray]:
    lg = logits(net, clips)
    seal = np.concatenate([x[s > 0] for x, (_, s, _) in zip(lg, clips, strict=True)])
    wide = np.concatenate([x[o] for x, (_, _, o) in zip(lg, clips, strict=True)])
    return seal, wide


def auc(seal: np.ndarray, wide: np.ndarray) -> float:
    return float((seal[:, None] > wide[None, :]).mean() + 0.5 * (seal[:, None] == wide[None, :]).mean())


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--warp", type=float, default=0.15)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--arch", choices=("bigru", "tcn", "window"), default="bigru")
    p.add_argument("--other", type=float, default=1.0,
                   help="loss weight of frames neither sealed nor clearly open (1: all frames alike)")
    p.add_argument("--norm", choices=("utterance", "corpus"), default="utterance")
    p.add_argument("--crop", type=int, default=0,
                   help="train on random crops of this many frames (each normalised on its own) and evaluate "
                        "chunk by chunk (0: whole clips)")
    p.add_argument("--future", type=int, default=4, help="tcn: frames of lookahead")
    args = p.parse_args()
    global CHUNK
    CHUNK = args.crop
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    cache = Cache(args.data)
    train = load(cache, "train", norm=args.norm)
    evals = {s: load(cache, s, lim, args.norm) for s, lim in LIMITS.items()}
    net: nn.Module = {"bigru": SealNet, "tcn": lambda: SealTCN(future=args.future), "window": SealWindow}[args.arch]()
    load_raw = args.arch == "window"
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-2)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 2e-3, total_steps=args.steps)
    pos = float(np.mean(np.concatenate([s for _, s, _ in train])))
    lossf = nn.BCEWithLogitsLoss(reduction="none", pos_weight=torch.tensor((1 - pos) / pos))
    history = []
    t0 = time.time()
    for step in range(1, args.steps + 1):
        net.train()
        if load_raw:
            mel, y, valid = window_batch(train, rng.integers(0, len(train), 64), rng, args.warp)
        else:
            mel, y, valid = batch(train, rng.integers(0, len(train), 24), rng, args.warp, args.other)
            if args.crop:
                mel, y, valid = crop(mel, y, valid, args.crop, rng)
        loss = (lossf(net(mel), y) * valid).sum() / valid.sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 500 == 0 or step == args.steps:
            row = {"step": step, "loss": float(loss.detach()), "min": round((time.time() - t0) / 60, 1)}
            for s in ("val", "test"):
                row[f"{s}_auc"] = auc(*score(net, evals[s]))
            history.append(row)
            print(row, flush=True)
    report: dict[str, dict[str, float]] = {}
    vseal, vwide = score(net, evals["val"])
    th = float(np.quantile(vwide, 0.95))
    for s in LIMITS:
        seal, wide = score(net, evals[s])
        report[s] = {"seal_frames": int(len(seal)), "open_frames": int(len(wide)), "auc": auc(seal, wide),
                     "seals_closed": float((seal > th).mean()), "open_closed": float((wide > th).mean()),
                     "seals_closed_at": {str(f): float((seal > np.quantile(vwide, 1 - f)).mean())
                                         for f in (0.02, 0.05, 0.1, 0.2)}}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    result = {"args": vars(args), "threshold": th, "splits": report, "history": history}
    from safetensors.torch import save_file

    save_file(net.state_dict(), str(out.with_suffix(".safetensors")))
    out.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n")
    lines = ["| split | seal frames | seals closed (5% val false) | open frames closed | AUC |",
             "|---|---|---|---|---|"]
    lines += [f"| {s} | {r['seal_frames']} | {r['seals_closed']:.0%} | {r['open_closed']:.1%} | {r['auc']:.3f} |"
              for s, r in report.items()]
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
