"""Log-mel features: the filter bank matches librosa; 4 mel frames per video frame; stats."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lipglance.audio import AudioStats, log_mel, mel_filterbank
from lipglance.config import AudioConfig
from lipglance.io.audio import load_audio


def test_filterbank_matches_librosa() -> None:
    librosa = pytest.importorskip("librosa")
    ours = mel_filterbank(16000, 1024, 128)
    ref = librosa.filters.mel(sr=16000, n_fft=1024, n_mels=128)
    np.testing.assert_allclose(ours, ref, rtol=1e-4, atol=1e-7)


def test_four_mel_frames_per_video_frame(sample_wav) -> None:  # type: ignore[no-untyped-def]
    cfg = AudioConfig()
    wave = load_audio(sample_wav, cfg.sample_rate)
    n_frames = len(wave) // (cfg.sample_rate // cfg.fps)
    mel = log_mel(wave, cfg, n_frames)
    assert mel.shape == (4 * n_frames, 128)
    assert torch.isfinite(mel).all()
    assert log_mel(wave[:1000], cfg, 30).shape == (120, 128)  # zero-padded to the frame count


def test_tone_lands_in_the_right_band_and_time() -> None:
    cfg = AudioConfig()
    sr = cfg.sample_rate
    t = np.arange(sr) / sr
    wave = np.where(t >= 0.5, 0.5 * np.sin(2 * np.pi * 1000 * t), 0).astype(np.float32)
    mel = log_mel(wave, cfg, 25)  # 1 s = 25 video frames = 100 mel frames
    onset = int(torch.nonzero(mel.max(dim=1).values > -3)[0])
    assert abs(onset - 50) <= 3  # 10 ms mel hop: the tone starts at mel frame 50
    band = int(mel[80].argmax())
    centres = mel_filterbank(sr, cfg.n_fft, cfg.n_mels).argmax(axis=1) * sr / cfg.n_fft
    assert abs(centres[band] - 1000) < 60


def test_audio_stats_normalise() -> None:
    x = np.random.default_rng(0).normal(3.0, 2.0, size=(5000, 4))
    stats = AudioStats.from_sums(x.sum(0), (x**2).sum(0), len(x))
    z = stats.normalize(torch.tensor(x, dtype=torch.float32))
    assert torch.allclose(z.mean(0), torch.zeros(4), atol=1e-3)
    assert torch.allclose(z.std(0), torch.ones(4), atol=1e-2)
