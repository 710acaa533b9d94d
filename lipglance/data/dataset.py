"""`LipClipDataset`: 16-frame windows (hop 8) of a cache, with identity frame and mismatched audio.

Per window: the real video, its log-mel (normalised), an identity frame of the same video
drawn from OUTSIDE the window (random in training, fixed by seed at test time), and the
log-mel of a window of another video (the mismatch term of the discriminator). With
`silence` > 0 (training, beyond the paper) that share of windows becomes a silent one: digital
silence or faint room tone, and as target the clip's own closed-mouth frames (ground-truth
opening from the synthetic corpus), played back and forth to fill the window, with the identity
drawn from the whole clip, so that silence means a closed mouth whatever the identity shows. Training
randomness is a pure function of (seed, epoch, index), so a resumed run sees the same data.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from lipglance.audio import AudioStats
from lipglance.batch import Batch
from lipglance.data.cache import Cache
from lipglance.data.channel import channel_power
from lipglance.errors import UserError
from lipglance.pixels import to_unit
from lipglance.shape import clip_shapes, frame_classes


def warp_mel(mel: np.ndarray, factor: float) -> np.ndarray:
    """Stretch a log-mel [T, n_mels] along frequency by `factor` (> 1: formants move up, as from a shorter vocal
    tract); bands beyond the edge repeat the last one."""
    bins = np.arange(mel.shape[1], dtype=np.float64)
    src = np.clip(bins / factor, 0, mel.shape[1] - 1)
    lo = np.floor(src).astype(int)
    hi = np.minimum(lo + 1, mel.shape[1] - 1)
    t = (src - lo)[None, :]
    return (mel[:, lo] * (1 - t) + mel[:, hi] * t).astype(mel.dtype)


def augment_log_mel(mel: np.ndarray, rng: np.random.Generator, warp: float = 0.0, channel: float = 0.0,
                    other: np.ndarray | None = None) -> np.ndarray:
    """Training-time audio augmentation in the log-mel power domain: with `warp` > 0 a speaker-like stretch along
    frequency by a factor in [1 - warp, 1 + warp] (vocal tract length perturbation), then gain, noise (20-40 dB
    SNR), reverb; with `channel` > 0 that share of windows also goes through a random recording channel
    (lipglance.data.channel: noise or babble of `other`, another talker's log-mel, at 5-30 dB SNR, EQ, band limits)."""
    if warp > 0 and rng.random() < 0.8:
        mel = warp_mel(mel, float(rng.uniform(1 - warp, 1 + warp)))
    power = np.exp(mel.astype(np.float64))
    if rng.random() < 0.5:  # reverberation: exponential decay over 10 ms frames
        rt60 = rng.uniform(0.1, 0.4)
        k = np.arange(int(rt60 * 100) + 1)
        tail = np.exp(-6.9 * k * 0.01 / rt60)
        tail[0] = 0.0
        wet = rng.uniform(0.05, 0.3) / max(tail.sum(), 1e-9)
        reverb = np.zeros_like(power)  # causal convolution of every mel band with the tail
        for lag in range(1, min(len(tail), len(power))):
            reverb[lag:] += tail[lag] * power[:-lag]
        power = power + wet * reverb
    if rng.random() < 0.5:
        snr = rng.uniform(20, 40)
        power = power + power.mean() / 10 ** (snr / 10) * rng.uniform(0.5, 1.5, power.shape)
    if channel > 0 and rng.random() < channel:
        power = channel_power(power, rng, None if other is None else np.exp(other.astype(np.float64)))
    gain = rng.uniform(-1.4, 1.4) if rng.random() < 0.8 else 0.0  # +-6 dB
    return (np.log(power) + gain).astype(np.float32)


def _lerp(x: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """x [N, ...] read at fractional positions `pos` (in 0..N-1) along its first axis."""
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, len(x) - 1)
    a = (pos - lo).reshape(-1, *([1] * (x.ndim - 1)))
    return (1 - a) * x[lo] + a * x[hi]


class LipClipDataset(Dataset):
    """Windows of one split of a cache; items are dicts of tensors, `collate` makes a `Batch`."""

    def __init__(self, cache: Cache | str | Path, split: str, frames: int = 16, hop: int = 8, train: bool = False,
                 seed: int = 0, stats: AudioStats | None = None, augment: bool | None = None,
                 silence: float = 0.0, shapes: bool = False, closure_weight: float = 0.0,
                 mel_warp: float = 0.0, tempo: float = 0.0, channel: float = 0.0,
                 vowel_weight: float = 0.0, lead: float | None = None) -> None:
        self.cache = cache if isinstance(cache, Cache) else Cache(cache)
        self.split = split
        self.items = self.cache.split(split)
        self.frames, self.hop, self.train, self.seed = frames, hop, train, seed
        self.augment = train if augment is None else augment
        self.stats = stats or self.cache.stats()
        self.mpf = self.cache.info["params"]["audio"]["mels_per_frame"]
        self.windows = [(i, s) for i, it in enumerate(self.items) for s in range(0, it["frames"] - frames + 1, hop)
                        if it["frames"] > frames]
        self.silence = silence
        # add each window's mouth shapes (lipglance.shape) as "shape" [T, 20, 2], and as "shape_weight" [T] a loss
        # weight of 1 + closure_weight on frames where a p/b/m seals the lips (from a synthetic clip's phones)
        self.shapes, self.closure_weight = shapes, closure_weight
        # and a weight of 1 + vowel_weight on the frames of rounded and spread vowels (so rounding is learnt)
        self.vowel_weight = vowel_weight
        # with shapes: every clip's shapes and frame classes moved onto this audio-visual lead (seconds; None: the
        # clip's own, the corpus's random 0-0.12 s), resampled linearly in time (train.shape_lead)
        self.lead = lead
        self.mel_warp = mel_warp
        self.channel = channel  # share of training windows heard through a random recording channel
        # with shapes, in training: a share of windows read at a tempo up to (1 + tempo) times faster or slower
        # (log-mel, shapes and seal flags resampled together), so short seals of fast speech are seen
        self.tempo = tempo
        self._shape_cache: dict[int, np.ndarray] = {}
        self._sealed: dict[int, np.ndarray] = {}
        self._vowel: dict[int, np.ndarray] = {}
        self.epoch = 0
        self._mean = np.array(self.stats.mean, np.float32)
        self._std = np.array(self.stats.std, np.float32)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.windows)

    def _rng(self, index: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, self.epoch if self.train else 0, index])

    def _mel(self, item: dict[str, Any], start: int, rng: np.random.Generator) -> torch.Tensor:
        m = np.asarray(self.cache.mel(item)[start * self.mpf:(start + self.frames) * self.mpf], np.float32)
        if self.augment:
            m = self._augmented(m, rng)
        return torch.from_numpy((m - self._mean) / self._std)[None]

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        rng = self._rng(index)
        i, start = self.windows[index]
        item = self.items[i]
        crops = self.cache.crops(item)
        rest = rest_frames(item, self.frames, rng) if self.silence and rng.random() < self.silence else None
        frames = rest if rest is not None else np.arange(start, start + self.frames)
        if rest is not None:
            clip, mel = crops[rest], self._silent_mel(rng)
            ident = crops[int(rng.integers(item["frames"]))]
        else:
            clip, mel = crops[start:start + self.frames], self._mel(item, start, rng)
            outside = [f for f in range(item["frames"]) if not start <= f < start + self.frames]
            ident = crops[outside[int(rng.integers(len(outside)))]]
        wi, ws = self._mismatch(i, start, rng)
        sample = {
            "video": _to_unit(clip.transpose(3, 0, 1, 2)),
            "mel": mel,
            "identity": _to_unit(ident.transpose(2, 0, 1)),
            "wrong_mel": self._mel(self.items[wi], ws, rng),
        }
        if self.shapes:
            shapes, sealed = self.clip_shapes(i)[frames], self._sealed[i][frames]
            vowel = self._vowel[i][frames]
            if self.tempo > 0 and self.augment and rest is None:
                f = float(np.exp(rng.uniform(-np.log1p(self.tempo), np.log1p(self.tempo))))
                m, shapes, sealed = self.at_tempo(i, start, f)
                vowel = self._vowel[i][np.rint(self._tempo_frames(i, start, f)).astype(int)]
                m = self._augmented(m, rng)
                sample["mel"] = torch.from_numpy(((m - self._mean) / self._std).astype(np.float32))[None]
            sample["shape"] = torch.from_numpy(shapes.astype(np.float32))
            weight = 1 + self.closure_weight * sealed + self.vowel_weight * vowel
            sample["shape_weight"] = torch.from_numpy(weight.astype(np.float32))
            sample["sealed"] = torch.from_numpy(sealed.astype(np.float32))
        return sample

    def _augmented(self, m: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """`augment_log_mel` of a raw training log-mel; with a channel, another window of the split as babble."""
        other = None
        if self.channel > 0:
            wi, ws = self.windows[int(rng.integers(len(self.windows)))]
            raw = np.asarray(self.cache.mel(self.items[wi]), np.float32)[ws * self.mpf:ws * self.mpf + len(m)]
            other = raw if len(raw) == len(m) else None
        return augment_log_mel(m, rng, self.mel_warp, self.channel, other)

    def at_tempo(self, i: int, start: int, f: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(raw log-mel [4T, n_mels], shapes [T, 20, 2], seal flags [T]) of the window at `start` of item i read
        f times faster (f cut so the window stays inside the clip), linearly interpolated (flags: nearest)."""
        item, t = self.items[i], self.frames
        f = min(f, (item["frames"] - 1 - start) / t)
        mel = np.asarray(self.cache.mel(item), np.float32)
        shapes = self.clip_shapes(i)
        pos = self._tempo_frames(i, start, f)
        mpos = np.minimum(start * self.mpf + np.arange(t * self.mpf) * f, len(mel) - 1)
        sealed = self._sealed[i][np.rint(pos).astype(int)]
        return _lerp(mel, mpos).astype(np.float32), _lerp(shapes, pos), sealed

    def _tempo_frames(self, i: int, start: int, f: float) -> np.ndarray:
        """The fractional frames [T] of item i that the window at `start` read f times faster shows."""
        f = min(f, (self.items[i]["frames"] - 1 - start) / self.frames)
        return start + np.arange(self.frames) * f

    def clip_shapes(self, i: int) -> np.ndarray:
        """Mouth shapes [T, 20, 2] of item i (lipglance.shape), computed once."""
        if i not in self._shape_cache:
            item = self.items[i]
            shapes = clip_shapes(item, np.asarray(self.cache.landmarks(item)))
            if self.lead is not None:  # frame k showed speech time (k + 0.5) / fps + its lead: read it at the new one
                fps = float(item.get("fps", 25))
                shift = (self.lead - float(item.get("meta", {}).get("lead", 0.0))) * fps
                shapes = _lerp(shapes, np.clip(np.arange(len(shapes)) + shift, 0, len(shapes) - 1))
                item = {**item, "meta": {**item.get("meta", {}), "lead": self.lead}}
            self._shape_cache[i] = shapes
            classes = frame_classes(item, item["frames"])
            self._sealed[i] = classes == "bilabial"
            self._vowel[i] = (classes == "rounded") | (classes == "spread")
        return self._shape_cache[i]

    def sealed_frames(self, i: int) -> np.ndarray:
        """Bool [T] of item i: frames where a p/b/m seals the lips (from a synthetic clip's phones)."""
        self.clip_shapes(i)
        return self._sealed[i]

    def _silent_mel(self, rng: np.random.Generator) -> torch.Tensor:
        """Normalised log-mel of a silent window: digital zeros, or room tone 30-70 dB below average speech."""
        shape = (self.frames * self.mpf, len(self._mean))
        floor = self.cache.info["params"]["audio"].get("log_floor", 1e-5)
        power = np.full(shape, floor)
        if rng.random() < 0.5:
            level = np.exp(self._mean.astype(np.float64)) * 10 ** (-rng.uniform(30, 70) / 10)
            power = power + level * rng.uniform(0.5, 1.5, shape)
        m = np.log(power).astype(np.float32)
        return torch.from_numpy((m - self._mean) / self._std)[None]

    @functools.cached_property
    def _videos_with_windows(self) -> int:
        return len({wi for wi, _ in self.windows})

    def _mismatch(self, i: int, start: int, rng: np.random.Generator) -> tuple[int, int]:
        """A window of another video (or a non-overlapping one of this video if it is the only video with
        windows); never the window's own audio. Random draws first; should they all miss, the first valid
        window after the last draw; with none at all, a `UserError`."""
        def other(wi: int, ws: int) -> bool:
            return wi != i if self._videos_with_windows > 1 else abs(ws - start) >= self.frames

        k = 0
        for _ in range(64):
            k = int(rng.integers(len(self.windows)))
            if other(*self.windows[k]):
                return self.windows[k]
        for j in range(1, len(self.windows) + 1):
            wi, ws = self.windows[(k + j) % len(self.windows)]
            if other(wi, ws):
                return wi, ws
        raise UserError(f"{self.cache.root}: split '{self.split}' has no window to serve as the mismatched audio "
                        f"of {self.items[i]['id']} frame {start} (another video, or a window of the same video "
                        f"{self.frames} frames away): add videos or longer clips to the split")


def rest_frames(item: dict[str, Any], frames: int, rng: np.random.Generator,
                closed: float = 0.05) -> np.ndarray | None:
    """`frames` indices of the clip's closed-mouth frames (the longest run of ground-truth opening
    below `closed` crop px), played back and forth from a random point; None without such frames."""
    opening = np.asarray(item.get("meta", {}).get("opening", ()), float)[:item["frames"]]
    shut = np.concatenate([[False], opening < closed, [False]])
    edges = np.flatnonzero(np.diff(shut.astype(np.int8)))
    if len(edges) == 0:
        return None
    runs = edges.reshape(-1, 2)
    a, b = runs[int(np.argmax(runs[:, 1] - runs[:, 0]))]
    run = np.arange(a, b)
    cycle = np.concatenate([run, run[-2:0:-1]]) if len(run) > 2 else run
    return cycle[(int(rng.integers(len(cycle))) + np.arange(frames)) % len(cycle)]


def _to_unit(pixels: np.ndarray) -> torch.Tensor:
    """uint8 [0, 255] -> float32 [-1, 1] (in NumPy: several times faster than torch ops here)."""
    return torch.from_numpy(to_unit(pixels))


def collate(samples: list[dict[str, torch.Tensor]]) -> Batch:
    stacked = {k: torch.stack([s[k] for s in samples]) for k in samples[0]}
    main = {k: stacked.pop(k) for k in ("video", "mel", "identity", "wrong_mel")}
    return Batch(**main, extra=stacked)
