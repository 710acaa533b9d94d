"""One synthetic clip: sentence -> speech with timing -> articulation -> rendered lip crops."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from lipglance.face import mouth_square, smooth_squares
from lipglance.synth.appearance import Identity
from lipglance.synth.articulation import trajectory
from lipglance.synth.geometry import mouth_points
from lipglance.synth.render import LipRenderer, Pose, crop_matrix
from lipglance.synth.tts import SAMPLE_RATE, Phone, Speech, synthesize

FPS = 25
CROP_SMOOTHING = 1.5  # frames; the same default as preprocessing


@dataclass
class SynthClip:
    frames: np.ndarray  # uint8 [T, 64, 64, 3]
    wave: np.ndarray  # float32 [T * 640] at 16 kHz
    landmarks: np.ndarray  # float32 [T, 20, 2], dlib points 48-67 in crop pixels
    articulation: np.ndarray  # float32 [T, 7]
    world_points: np.ndarray  # float32 [T, 20, 2] before cropping
    phones: list[Phone]
    lead: float  # seconds the visual trajectory leads the audio
    meta: dict[str, object] = field(default_factory=dict)

    @property
    def opening(self) -> np.ndarray:
        """Inner-lip gap (point 66 - point 62) per frame, in crop pixels."""
        return self.landmarks[:, 18, 1] - self.landmarks[:, 14, 1]


def pad_speech(speech: Speech, lead_in: float, lead_out: float) -> tuple[np.ndarray, list[Phone], int]:
    """Add silence before/after; cut to a whole number of frames. Returns (wave, phones, n_frames)."""
    per_frame = SAMPLE_RATE // FPS
    pre = int(round(lead_in * SAMPLE_RATE))
    total = pre + len(speech.wave) + int(round(lead_out * SAMPLE_RATE))
    n_frames = total // per_frame
    wave = np.zeros(n_frames * per_frame, np.float32)
    body = speech.wave[: len(wave) - pre]
    wave[pre:pre + len(body)] = body
    shift = pre / SAMPLE_RATE
    phones = [Phone("_", "sil", 0.0, shift)] + [
        Phone(p.symbol, p.canon, p.start + shift, p.end + shift) for p in speech.phones]
    phones.append(Phone("_", "sil", phones[-1].end, max(phones[-1].end, n_frames / FPS) + 0.5))
    return wave, phones, n_frames


def degrade(frames: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Mild per-clip camera degradations: blur, sensor noise, JPEG."""
    sigma = rng.uniform(0, 0.7)
    noise = rng.uniform(0, 3.0)
    quality = int(rng.uniform(55, 95)) if rng.random() < 0.5 else 0
    out = np.empty(frames.shape, np.uint8)
    for k, f in enumerate(frames):
        x = cv2.GaussianBlur(f, (0, 0), sigma) if sigma > 0.15 else f
        x = x * 255.0 + rng.normal(0, noise, x.shape)
        x8 = np.clip(x, 0, 255).round().astype(np.uint8)
        if quality:
            ok, buf = cv2.imencode(".jpg", x8, [cv2.IMWRITE_JPEG_QUALITY, quality])
            x8 = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED) if ok else x8
        out[k] = x8
    return out


def make_clip(ident: Identity, voice: str, text: str, seed: int, size: int = 64,
              renderer: LipRenderer | None = None) -> SynthClip:
    """Render one clip; everything random is drawn from `seed`."""
    rng = np.random.default_rng([seed, 3])
    rate, pitch = float(rng.uniform(0.8, 1.25)), float(rng.uniform(0.85, 1.2))
    speech = synthesize(text, voice, rate, pitch)
    wave, phones, n = pad_speech(speech, float(rng.uniform(0.1, 0.6)), float(rng.uniform(0.1, 0.5)))
    gain = float(rng.uniform(0.5, 1.0)) / max(1e-3, float(np.abs(wave).max()))
    lead = float(rng.uniform(0.0, 0.12))
    art = trajectory(phones, n, FPS, lead)
    pose = Pose.sample(rng, n, FPS)
    mats = [pose.matrix(k) for k in range(n)]
    world = np.stack([mouth_points(art[k], ident.shape) @ mats[k][:2, :2].T + mats[k][:2, 2] for k in range(n)])
    squares = smooth_squares(np.array([mouth_square(p) for p in world]), CROP_SMOOTHING)
    crops = [crop_matrix(float(sq[0]), float(sq[1]), float(sq[2]), size) for sq in squares]
    renderer = renderer or LipRenderer(ident, size)
    frames = np.stack([renderer.frame(art[k], mats[k], crops[k]) for k in range(n)])
    landmarks = np.stack([world[k] @ crops[k][:2, :2].T + crops[k][:2, 2] for k in range(n)])
    meta = {"identity": ident.seed, "voice": voice, "text": text, "rate": rate, "pitch": pitch,
            # what turns crop pixels back into the mouth's true size (lipglance.shape): the crop side in source
            # pixels and the head's scale relative to its clip mean, per frame
            "crop_side": [round(float(sq[2]), 3) for sq in squares],
            "head_scale": [round(float(s), 4) for s in pose.scale / pose.scale.mean()]}
    return SynthClip(degrade(frames, rng), (wave * gain).astype(np.float32), landmarks.astype(np.float32),
                     art, world.astype(np.float32), phones, lead, meta)
