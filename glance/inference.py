"""`LipSync`: the Python API. Speech + one lip crop -> 64x64 lip frames of any length.

No file I/O happens here: pass samples and pixels, get frames. Long audio is generated in
overlapping 16-frame windows (hop 8) that are cross-faded, and frames are yielded as soon
as they are final, so memory does not grow with the audio length.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from glance.audio import AudioStats, log_mel
from glance.checkpoint import load_checkpoint
from glance.config import GlanceConfig, load_config
from glance.nn import Generator

DEFAULT_WEIGHTS = Path(__file__).parent / "assets" / "default.safetensors"


def blend_weights(frames: int, hop: int) -> np.ndarray:
    """Cross-fade weights of one window: ramps over the overlap, flat in the middle."""
    overlap = frames - hop
    w = np.ones(frames, np.float32)
    ramp = (np.arange(overlap, dtype=np.float32) + 0.5) / overlap
    w[:overlap] = ramp
    w[-overlap:] = ramp[::-1]
    return w


@dataclass
class LipSync:
    generator: Generator
    config: GlanceConfig
    audio_stats: AudioStats
    trained: bool = True
    device: str = "cpu"

    @classmethod
    def from_pretrained(cls, path: str | Path | None = None, device: str = "cpu") -> LipSync:
        """Load generator weights (default: the bundled model)."""
        ckpt = load_checkpoint(path or DEFAULT_WEIGHTS, kind="generator")
        gen = Generator(ckpt.config.generator, ckpt.config.audio)
        gen.load_state_dict(ckpt.tensors)
        stats = AudioStats.from_dict(ckpt.extra["audio_stats"])
        return cls(gen.eval().to(device), ckpt.config, stats, True, device)

    @classmethod
    def untrained(cls, preset: str = "tiny", seed: int = 0) -> LipSync:
        """A randomly initialised model (for smoke tests and demos before training)."""
        cfg = load_config(preset)
        torch.manual_seed(seed)
        gen = Generator(cfg.generator, cfg.audio).eval()
        return cls(gen, cfg, AudioStats.identity(cfg.audio.n_mels), trained=False)

    def frame_count(self, n_samples: int) -> int:
        """Video frames for `n_samples` of audio: ceil(duration * fps), at least 1."""
        per_frame = self.config.audio.sample_rate // self.config.audio.fps
        return max(1, -(-n_samples // per_frame))

    @torch.inference_mode()
    def stream(self, audio: np.ndarray, identity: np.ndarray, batch: int = 4) -> Iterator[np.ndarray]:
        """Yield uint8 RGB lip frames [64, 64, 3] for mono `audio` at config sample rate."""
        cfg, g = self.config, self.config.generator
        if identity.shape != (g.image_size, g.image_size, 3) or identity.dtype != np.uint8:
            raise ValueError(f"identity must be uint8 [{g.image_size}, {g.image_size}, 3], got "
                             f"{identity.dtype} {list(identity.shape)}")
        n = self.frame_count(len(audio))
        t, hop, mpf = g.frames, g.frames // 2, cfg.audio.mels_per_frame
        n_windows = max(1, -(-(n - t) // hop) + 1)
        mel = self.audio_stats.normalize(log_mel(audio, cfg.audio, (n_windows - 1) * hop + t))
        ident = torch.from_numpy(identity).permute(2, 0, 1).float().div(127.5).sub(1)[None].to(self.device)
        weights = blend_weights(t, hop)
        acc = np.zeros((t + hop, g.image_size, g.image_size, 3), np.float32)
        wsum = np.zeros(t + hop, np.float32)
        done = 0
        for first in range(0, n_windows, batch):
            idx = range(first, min(first + batch, n_windows))
            mels = torch.stack([mel[i * hop * mpf:(i * hop + t) * mpf] for i in idx])[:, None].to(self.device)
            video = self.generator(mels, ident.expand(len(idx), -1, -1, -1))
            clips = video.permute(0, 2, 3, 4, 1).add(1).mul(127.5).float().cpu().numpy()
            for i, clip in zip(idx, clips, strict=True):
                w = weights.copy()
                if i == 0:
                    w[:hop] = 1.0
                if i == n_windows - 1:
                    w[hop:] = 1.0
                acc[:t] += clip * w[:, None, None, None]
                wsum[:t] += w
                for k in range(hop if i < n_windows - 1 else t):
                    if done < n:
                        yield np.clip(acc[k] / wsum[k], 0, 255).round().astype(np.uint8)
                        done += 1
                acc = np.roll(acc, -hop, axis=0)
                wsum = np.roll(wsum, -hop)
                acc[-hop:] = 0
                wsum[-hop:] = 0

    def generate(self, audio: np.ndarray, identity: np.ndarray) -> np.ndarray:
        """All lip frames at once: uint8 [N, 64, 64, 3]."""
        return np.stack(list(self.stream(audio, identity)))
