"""Procedural identities: skin tone across the human range, shading, texture, facial hair, lips.

A texture is drawn once per identity in mouth units (the origin is the centre of the lip line,
one unit is the neutral mouth half-width) and warped into every frame with the head motion.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from lipglance.synth.geometry import LipShape

TEX_PX_PER_UNIT = 32
TEX_EXTENT = 4.5  # the texture covers [-TEX_EXTENT, TEX_EXTENT] mouth units in x and y
TEX_SIZE = int(2 * TEX_EXTENT * TEX_PX_PER_UNIT)


def lab_to_rgb(lab: tuple[float, float, float]) -> tuple[float, float, float]:
    """CIE L*a*b* -> RGB in [0, 1]."""
    px = np.array([[lab]], np.float32)
    r, g, b = np.clip(cv2.cvtColor(px, cv2.COLOR_Lab2RGB)[0, 0], 0, 1)
    return float(r), float(g), float(b)


@dataclass(frozen=True)
class Identity:
    seed: int
    skin: tuple[float, float, float]  # RGB in [0, 1]
    lip: tuple[float, float, float]
    teeth: tuple[float, float, float]
    cavity: tuple[float, float, float]
    hair: tuple[float, float, float]
    beard: str  # none | stubble | beard | moustache
    beard_density: float
    light_angle: float  # radians
    light_strength: float
    shape: LipShape
    gloss: float

    @classmethod
    def sample(cls, seed: int) -> Identity:
        rng = np.random.default_rng([seed, 7])
        lightness = float(rng.uniform(22, 88))  # from very dark to very light skin
        skin_lab = (lightness, float(rng.uniform(7, 20)), float(rng.uniform(10, 28) * (0.7 + 0.3 * (lightness > 45))))
        # Lips: darker than the skin; redder on light skin, browner on dark skin.
        red = float(rng.uniform(6, 20)) * (0.35 + 0.65 * np.clip((lightness - 22) / 50, 0, 1))
        lip_lab = (lightness * float(rng.uniform(0.7, 0.9)), skin_lab[1] + red,
                   skin_lab[2] + float(rng.uniform(-6, 4)))
        beard = str(rng.choice(["none", "stubble", "beard", "moustache"], p=[0.55, 0.2, 0.15, 0.1]))
        hair_l = float(rng.uniform(8, 35)) if rng.random() < 0.85 else float(rng.uniform(55, 80))
        return cls(
            seed=seed,
            skin=(lab_to_rgb(skin_lab)),
            lip=(lab_to_rgb(lip_lab)),
            teeth=(lab_to_rgb((float(rng.uniform(78, 92)), 0.0, float(rng.uniform(4, 16))))),
            cavity=(lab_to_rgb((float(rng.uniform(6, 14)), float(rng.uniform(8, 18)), 6.0))),
            hair=(lab_to_rgb((hair_l, 3.0, float(rng.uniform(5, 18))))),
            beard=beard,
            beard_density=float(rng.uniform(0.3, 0.9)),
            light_angle=float(rng.uniform(0, 2 * np.pi)),
            light_strength=float(rng.uniform(0.05, 0.3)),
            shape=LipShape.sample(rng),
            gloss=float(rng.uniform(0.0, 0.35)),
        )


def _grid() -> tuple[np.ndarray, np.ndarray]:
    c = (np.arange(TEX_SIZE) + 0.5) / TEX_PX_PER_UNIT - TEX_EXTENT
    return np.meshgrid(c, c)


def _soft_ellipse(x: np.ndarray, y: np.ndarray, cx: float, cy: float, rx: float, ry: float) -> np.ndarray:
    r = np.sqrt(((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2)
    return np.clip(1.2 - r, 0, 1) ** 1.5


def skin_texture(ident: Identity) -> tuple[np.ndarray, np.ndarray]:
    """(RGB texture [S, S, 3] float32, shading multiplier [S, S] float32) in mouth units."""
    rng = np.random.default_rng([ident.seed, 11])
    x, y = _grid()
    base = np.array(ident.skin, np.float32)
    low = np.asarray(cv2.GaussianBlur(rng.standard_normal((TEX_SIZE, TEX_SIZE)).astype(np.float32), (0, 0), 24))
    low = low / (np.abs(low).max() + 1e-6)
    fine = np.asarray(cv2.GaussianBlur(rng.standard_normal((TEX_SIZE, TEX_SIZE)).astype(np.float32), (0, 0), 0.8))
    fine = fine / (np.abs(fine).max() + 1e-6)
    tone = 1.0 + 0.06 * low + 0.035 * fine
    # Anatomy as shading: nostrils, shadow under the nose, philtrum, nasolabial folds, chin.
    shade = np.ones_like(x, dtype=np.float32)
    for sx in (-1, 1):
        shade -= 0.7 * _soft_ellipse(x, y, 0.40 * sx, -1.42, 0.22, 0.12)
        shade -= 0.08 * _soft_ellipse(x, y, 0.16 * sx, -0.9, 0.07, 0.4)
        fold = np.abs(x - sx * (0.8 + 0.4 * np.clip((y + 1.3) / 1.7, 0, 1))) < 0.1
        shade -= 0.07 * (fold & (y > -1.3) & (y < 0.4))
    shade -= 0.12 * _soft_ellipse(x, y, 0.0, -1.5, 0.9, 0.2)
    shade -= 0.10 * _soft_ellipse(x, y, 0.0, 1.55, 0.7, 0.18)
    shade = np.asarray(cv2.GaussianBlur(shade.astype(np.float32), (0, 0), 2.0), np.float32)
    tex = base[None, None, :] * tone[..., None]
    if ident.beard != "none":
        hairs = (rng.random((TEX_SIZE, TEX_SIZE)) < 0.3 * ident.beard_density).astype(np.float32)
        dots = cv2.GaussianBlur(hairs, (0, 0), sigmaX=0.4, sigmaY=1.0)  # short, mostly vertical hairs
        lips_zone = ((x / 1.35) ** 2 + (y / 0.85) ** 2) < 1
        if ident.beard == "moustache":
            zone = (y > -1.25) & (y < -0.4) & (np.abs(x) < 1.3)
            strength = 0.9
        elif ident.beard == "beard":
            zone = y > -1.25
            strength = 0.85
        else:
            zone = y > -1.25
            strength = 0.35
        amount = np.clip(dots * 2.5, 0, 1) * strength * (zone & ~lips_zone)
        amount = 0.8 * cv2.GaussianBlur(amount.astype(np.float32), (0, 0), 0.8)
        tex = tex * (1 - amount[..., None]) + np.array(ident.hair, np.float32) * amount[..., None]
    light = 1.0 + ident.light_strength * (np.cos(ident.light_angle) * x + np.sin(ident.light_angle) * y) / TEX_EXTENT
    return np.clip(tex, 0, 1).astype(np.float32), (shade * light).astype(np.float32)
