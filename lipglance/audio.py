"""Log-mel features: ONE continuous spectrogram per signal, exactly `mels_per_frame` per video frame.

The mel filter bank is Slaney-style (librosa's default, `htk=False, norm="slaney"`), built in
NumPy so that no numba compilation happens on first use; tests compare it with librosa.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

import numpy as np
import torch

from lipglance.config import AudioConfig


def hz_to_mel(f: np.ndarray) -> np.ndarray:
    """Slaney mel scale: linear below 1 kHz, logarithmic above."""
    f = np.asarray(f, dtype=np.float64)
    f_sp, min_log_hz, logstep = 200.0 / 3, 1000.0, np.log(6.4) / 27.0
    mel = f / f_sp
    log_region = f >= min_log_hz
    return np.where(log_region, min_log_hz / f_sp + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep, mel)


def mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    f_sp, min_log_hz, logstep = 200.0 / 3, 1000.0, np.log(6.4) / 27.0
    min_log_mel = min_log_hz / f_sp
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def mel_filterbank(sr: int, n_fft: int, n_mels: int, fmin: float = 0.0,
                   fmax: float | None = None) -> np.ndarray:
    """[n_mels, n_fft // 2 + 1] triangular filters with Slaney area normalisation."""
    fmax = sr / 2 if fmax is None else fmax
    fft_freqs = np.linspace(0, sr / 2, n_fft // 2 + 1)
    mel_pts = mel_to_hz(np.linspace(hz_to_mel(np.array(fmin)), hz_to_mel(np.array(fmax)), n_mels + 2))
    fdiff = np.diff(mel_pts)
    ramps = mel_pts[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    weights *= (2.0 / (mel_pts[2 : n_mels + 2] - mel_pts[:n_mels]))[:, None]
    return weights.astype(np.float32)


def log_mel(wave: np.ndarray | torch.Tensor, cfg: AudioConfig, n_frames: int | None = None) -> torch.Tensor:
    """Mono waveform [N] at cfg.sample_rate -> log-mel [T_mel, n_mels], float32.

    Mel frame j is centred on sample j * hop (the signal is zero outside [0, N)), so video
    frame i owns mel frames 4i .. 4i+3. With `n_frames` the result has exactly
    `mels_per_frame * n_frames` frames; otherwise T_mel = N // hop.
    """
    x = torch.as_tensor(wave, dtype=torch.float32)
    if x.dim() != 1:
        raise ValueError(f"log_mel wants a mono [N] waveform, got shape {list(x.shape)}")
    t_mel = x.numel() // cfg.hop_length if n_frames is None else n_frames * cfg.mels_per_frame
    return log_mel_range(x, cfg, 0, t_mel)


def log_mel_range(wave: np.ndarray | torch.Tensor, cfg: AudioConfig, start: int, count: int) -> torch.Tensor:
    """Mel frames [start, start + count) of `log_mel(wave)`, computed from only the samples they need
    (so long audio can be processed in chunks with results identical to the whole)."""
    x = torch.as_tensor(wave, dtype=torch.float32)
    hop, half = cfg.hop_length, cfg.n_fft // 2
    if count <= 0:
        return torch.zeros(0, cfg.n_mels)
    a, b = start * hop - half, (start + count - 1) * hop + half  # sample span of the frames
    seg = torch.zeros(b - a)
    lo, hi = max(a, 0), min(b, x.numel())
    if hi > lo:
        seg[lo - a:hi - a] = x[lo:hi]
    spec = torch.stft(seg, cfg.n_fft, hop, window=torch.hann_window(cfg.n_fft), center=False,
                      return_complex=True).abs().square()  # [F, count]
    fb = torch.from_numpy(_filterbank(cfg.sample_rate, cfg.n_fft, cfg.n_mels, cfg.fmin, cfg.fmax))
    return torch.log(fb @ spec + cfg.log_floor).T.contiguous()


@functools.cache
def _filterbank(sr: int, n_fft: int, n_mels: int, fmin: float, fmax: float | None) -> np.ndarray:
    return mel_filterbank(sr, n_fft, n_mels, fmin, fmax)


@dataclass(frozen=True)
class AudioStats:
    """Per-mel-band mean and std of the training split's log-mel features."""

    mean: tuple[float, ...]
    std: tuple[float, ...]

    @classmethod
    def identity(cls, n_mels: int) -> AudioStats:
        return cls(mean=(0.0,) * n_mels, std=(1.0,) * n_mels)

    @classmethod
    def from_sums(cls, total: np.ndarray, total_sq: np.ndarray, count: int) -> AudioStats:
        mean = total / max(count, 1)
        var = np.maximum(total_sq / max(count, 1) - mean**2, 1e-8)
        return cls(mean=tuple(float(v) for v in mean), std=tuple(float(v) for v in np.sqrt(var)))

    def normalize(self, mel: torch.Tensor) -> torch.Tensor:
        """(mel - mean) / std over the last (mel band) axis."""
        mean = torch.tensor(self.mean, dtype=mel.dtype, device=mel.device)
        std = torch.tensor(self.std, dtype=mel.dtype, device=mel.device)
        return (mel - mean) / std

    def to_dict(self) -> dict[str, list[float]]:
        return {"mean": list(self.mean), "std": list(self.std)}

    @classmethod
    def from_dict(cls, d: dict[str, list[float]]) -> AudioStats:
        return cls(mean=tuple(d["mean"]), std=tuple(d["std"]))

    def to_json(self) -> str:
        return json.dumps(self.to_dict())
