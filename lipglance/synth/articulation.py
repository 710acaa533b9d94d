"""Phoneme timing -> articulation trajectory at 25 fps (coarticulation + lead + frame averaging).

Targets are blended with Cohen-Massaro style dominance functions; bilabials then get a hard
closure envelope around their midpoint so that blending can never keep the lips apart.
The visual trajectory leads the audio by `lead` seconds (lips move before sound).
"""

from __future__ import annotations

import numpy as np

from lipglance.synth.phonemes import targets
from lipglance.synth.tts import Phone

PARAMS = ("open", "spread", "round", "closure", "labiodental", "teeth", "tongue")
RATE = 1000  # internal sampling rate of the trajectory (Hz)
BILABIAL = ("p", "b", "m")


def _keys(phones: list[Phone]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Key centres, widths, dominances and target vectors (diphthongs get two keys)."""
    centres, widths, doms, vals = [], [], [], []
    for ph in phones:
        d = max(ph.end - ph.start, 1e-3)
        first, second = targets(ph.canon)
        keys = [(ph.start + d / 2, first)] if first == second else [
            (ph.start + d / 4, first), (ph.start + 3 * d / 4, second)]
        for centre, v in keys:
            centres.append(centre)
            widths.append(0.5 * d / len(keys) + 0.035)
            doms.append(v.dominance)
            vals.append([getattr(v, p) for p in PARAMS])
    return np.array(centres), np.array(widths), np.array(doms), np.array(vals, np.float64)


def closure_half(duration: float) -> float:
    """Half the time (s) a bilabial of this duration keeps the lips sealed, around its midpoint."""
    return max(0.35 * duration, 0.03)


def _closure_envelope(t: np.ndarray, phones: list[Phone]) -> np.ndarray:
    """1 around every bilabial's midpoint (at least +-30 ms), raised-cosine ramps of 30 ms."""
    env = np.zeros_like(t)
    ramp = 0.03
    for ph in phones:
        if ph.canon not in BILABIAL:
            continue
        mid, half = (ph.start + ph.end) / 2, closure_half(ph.end - ph.start)
        dist = np.abs(t - mid) - half
        e = np.where(dist <= 0, 1.0, np.where(dist < ramp, 0.5 + 0.5 * np.cos(np.pi * dist / ramp), 0.0))
        env = np.maximum(env, e)
    return env


def articulation_at(t: np.ndarray, phones: list[Phone]) -> np.ndarray:
    """Articulation [len(t), 7] at times t (seconds); silence before and after the phones."""
    centres, widths, doms, vals = _keys(phones)
    z = np.abs(t[:, None] - centres[None, :]) / widths[None, :]
    dom = doms[None, :] * np.exp(-(z**1.5))
    out = (dom @ vals) / (dom.sum(1, keepdims=True) + 1e-9)
    env = _closure_envelope(t, phones)
    out[:, 0] *= 1.0 - env  # open
    out[:, 3] = np.maximum(out[:, 3], env)  # closure
    out[:, 5] *= 1.0 - env  # no teeth behind sealed lips
    out[:, 6] *= 1.0 - env
    return out


def trajectory(phones: list[Phone], n_frames: int, fps: int = 25, lead: float = 0.0) -> np.ndarray:
    """Per-frame articulation [n_frames, 7]: each frame averages its 40 ms after the lead shift."""
    step = 1.0 / RATE
    per_frame = RATE // fps
    t = np.arange(n_frames * per_frame) * step + step / 2 + lead
    art = articulation_at(t, phones)
    return art.reshape(n_frames, per_frame, len(PARAMS)).mean(axis=1).astype(np.float32)
