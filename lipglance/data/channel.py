"""A random recording channel on a training log-mel (augmentation for recorded speech, beyond the paper).

The synthetic corpus is studio-clean TTS; recorded speech reaches the model through a microphone, a room, a
codec and other voices. `channel_power` imitates those in the mel power domain, on a window [T, n_mels]:

- another talker (babble: a window of another clip, `other`) or coloured noise, at 5-30 dB SNR to the window's
  mean speech power (noise power adds to the speech's);
- an equaliser: a tilt of up to +-4 dB per octave around 1 kHz and three bumps of up to +-8 dB (a microphone's
  and a room's colour);
- band limits: a low-pass at 3-7.5 kHz (telephone, low-rate MP3/AAC/Opus) and a high-pass at 80-300 Hz, falling
  40 dB over 500 Hz (resp. an octave).
"""

from __future__ import annotations

import functools

import numpy as np

from lipglance.audio import hz_to_mel, mel_to_hz

SNR_DB = (5.0, 30.0)  # noise or babble, relative to the window's mean speech power
BABBLE = 0.5  # share of noisy windows whose noise is another talker (when one is given)
NOISE = 0.7  # share of windows that get noise or babble
EQ = 0.8  # share of windows that get an equaliser
LOW_PASS = 0.4  # share with a low-pass at LOW_PASS_HZ
LOW_PASS_HZ = (3000.0, 7500.0)
HIGH_PASS = 0.3  # share with a high-pass at HIGH_PASS_HZ
HIGH_PASS_HZ = (80.0, 300.0)
STOP_DB = 40.0  # attenuation reached beyond a band limit


@functools.lru_cache(maxsize=4)
def band_hz(n_mels: int, fmax: float = 8000.0) -> np.ndarray:
    """Centre frequency (Hz) of each band of the Slaney mel filter bank (lipglance.audio.mel_filterbank)."""
    pts = mel_to_hz(np.linspace(hz_to_mel(np.array(0.0)), hz_to_mel(np.array(fmax)), n_mels + 2))
    return np.asarray(pts[1:-1], np.float64)


def eq_db(hz: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random equaliser curve (dB per band): tilt around 1 kHz plus three smooth bumps on the mel axis."""
    octaves = np.log2(np.maximum(hz, 20.0) / 1000.0)
    curve = rng.uniform(-4.0, 4.0) * octaves
    pos = np.arange(len(hz), dtype=np.float64)
    for _ in range(3):
        centre, width = rng.uniform(0, len(hz)), rng.uniform(4, 24)
        curve += rng.uniform(-8.0, 8.0) * np.exp(-0.5 * ((pos - centre) / width) ** 2)
    return curve


def limits_db(hz: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random band limits (dB per band, <= 0): maybe a low-pass, maybe a high-pass."""
    out = np.zeros(len(hz))
    if rng.random() < LOW_PASS:
        cut = rng.uniform(*LOW_PASS_HZ)
        out -= STOP_DB * np.clip((hz - cut) / 500.0, 0.0, 1.0)
    if rng.random() < HIGH_PASS:
        cut = rng.uniform(*HIGH_PASS_HZ)
        out -= STOP_DB * np.clip(np.log2(cut / np.maximum(hz, 1.0)), 0.0, 1.0)
    return out


def channel_power(power: np.ndarray, rng: np.random.Generator, other: np.ndarray | None = None) -> np.ndarray:
    """Mel power [T, n_mels] (not log) heard through a random channel; `other`: another talker's mel power of the
    same shape (babble), or None for coloured noise only."""
    power = np.asarray(power, np.float64)
    hz = band_hz(power.shape[1])
    if rng.random() < NOISE:
        level = power.mean() / 10 ** (rng.uniform(*SNR_DB) / 10)
        if other is not None and rng.random() < BABBLE:
            noise = np.asarray(other, np.float64)
        else:
            tilt = 10 ** (rng.uniform(-6.0, 3.0) * np.log2(np.maximum(hz, 20.0) / 1000.0) / 10)
            noise = tilt[None, :] * rng.exponential(1.0, power.shape)
        power = power + noise * (level / max(float(noise.mean()), 1e-20))
    gain_db = limits_db(hz, rng) + (eq_db(hz, rng) if rng.random() < EQ else 0.0)
    return power * 10 ** (gain_db[None, :] / 10)
