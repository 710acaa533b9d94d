"""The frame metrics of `lipglance evaluate` against hand-computed values and independent references."""

from __future__ import annotations

import math

import numpy as np
import pytest
from skimage.filters import gaussian
from skimage.metrics import structural_similarity

from lipglance.eval import metrics
from lipglance.eval.metrics import cpbd, cpbd_frame, lmd, lmd_frames, psnr, ssim


def _clip(*values: int, size: int = 8) -> np.ndarray:
    """uint8 clip [T, size, size, 3], frame t filled with values[t]."""
    return np.stack([np.full((size, size, 3), v, np.uint8) for v in values])


# ---------------------------------------------------------------- PSNR


def test_psnr_hand_computed_in_float() -> None:
    real = _clip(10, 1, 20)
    fake = _clip(0, 0, 0)
    # Every pixel off by 10, 1, 20 -> MSE 100, 1, 400 per frame. The mean of the per-frame PSNRs
    # (not the PSNR of the mean MSE, not the median).
    want = (10 * math.log10(255**2 / 100) + 10 * math.log10(255**2 / 1) + 10 * math.log10(255**2 / 400)) / 3
    assert psnr(fake, real)["psnr"] == pytest.approx(want, abs=1e-9)
    assert want == pytest.approx(32.7906, abs=1e-4)


def test_psnr_does_not_wrap_around_in_uint8() -> None:
    # 0 - 255 wraps to 1 in uint8 (MSE 1, 48.1 dB); in float the MSE is 255^2: 0 dB.
    assert psnr(_clip(0), _clip(255))["psnr"] == pytest.approx(0.0, abs=1e-9)
    assert psnr(_clip(255), _clip(0))["psnr"] == pytest.approx(0.0, abs=1e-9)
    # Identical frames are capped, not infinite.
    assert psnr(_clip(7), _clip(7))["psnr"] == pytest.approx(100.0)


# ---------------------------------------------------------------- SSIM


def _ssim_reference(x: np.ndarray, y: np.ndarray) -> float:
    """Wang et al. 2004 written out: 7x7 uniform windows fully inside the image, sample (co)variances,
    K1 0.01, K2 0.03, L 255, mean over the windows and then over the three channels."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    out = []
    for ch in range(x.shape[-1]):
        a = np.lib.stride_tricks.sliding_window_view(x[..., ch].astype(np.float64), (7, 7)).reshape(-1, 49)
        b = np.lib.stride_tricks.sliding_window_view(y[..., ch].astype(np.float64), (7, 7)).reshape(-1, 49)
        ma, mb = a.mean(1), b.mean(1)
        va, vb = a.var(1, ddof=1), b.var(1, ddof=1)
        cov = ((a - ma[:, None]) * (b - mb[:, None])).sum(1) / 48
        s = (2 * ma * mb + c1) * (2 * cov + c2) / ((ma**2 + mb**2 + c1) * (va + vb + c2))
        out.append(s.mean())
    return float(np.mean(out))


def test_ssim_matches_skimage_and_the_formula_on_a_known_pair() -> None:
    import skimage.data

    real = skimage.data.astronaut()[100:164, 180:244]  # a 64x64 RGB crop of the face
    noise = np.random.default_rng(0).normal(0, 20, real.shape)
    fake = np.clip(real + noise, 0, 255).astype(np.uint8)
    got = ssim(fake[None], real[None])["ssim"]
    ref = structural_similarity(fake, real, win_size=7, K1=0.01, K2=0.03, gaussian_weights=False,
                                use_sample_covariance=True, channel_axis=-1, data_range=255)
    assert got == pytest.approx(ref, abs=1e-9)
    assert got == pytest.approx(_ssim_reference(fake, real), abs=1e-9)
    assert 0.2 < got < 0.9  # a real, noticeably degraded pair
    # Mean over frames: the identical frame scores 1.
    two = ssim(np.stack([fake, real]), np.stack([real, real]))["ssim"]
    assert two == pytest.approx((ref + 1.0) / 2, abs=1e-9)


# ---------------------------------------------------------------- LMD


def _mouth() -> np.ndarray:
    angles = np.linspace(0, 2 * np.pi, 20, endpoint=False)
    return np.stack([32 + 12 * np.cos(angles), 40 + 5 * np.sin(angles)], 1)


def test_lmd_hand_computed(monkeypatch: pytest.MonkeyPatch) -> None:
    mouth = _mouth()
    moved = mouth.copy()
    moved[3] += (3.0, 4.0)
    # The landmark "detector" reads the frame's first pixel: 1 real, 2 shifted, 3 one point moved, 4 fails.
    table = {1: mouth, 2: mouth + (5.0, -3.0), 3: moved, 4: None}
    monkeypatch.setattr(metrics, "crop_mouth_landmarks", lambda crop: table[int(crop[0, 0, 0])])
    fake, real = _clip(2, 3, 4), _clip(1, 1, 1)
    dists, failures = lmd_frames(fake, real)
    # Frame 0: a translation vanishes once each frame is centred on its mean.
    # Frame 1: one of 20 points moved by (3, 4) (length 5): after centring it is off by 5 * 19/20 = 4.75, the
    # other 19 by 5/20 = 0.25 each; mean over points (4.75 + 19 * 0.25) / 20 = 0.475.
    assert dists[0] == pytest.approx(0.0, abs=1e-9)
    assert dists[1] == pytest.approx(0.475, abs=1e-9)
    assert math.isnan(dists[2]) and failures == 1
    # Mean over the frames where both sides were found.
    out = lmd(fake, real)
    assert out["lmd"] == pytest.approx(0.2375, abs=1e-9)
    assert out["lmd_failures"] == 1.0


# ---------------------------------------------------------------- CPBD


def _edge_frame(width: int, lo: int, hi: int, horizontal: bool) -> np.ndarray:
    """A straight edge from `lo` to `hi` as a linear ramp whose Marziliano width is `width` px."""
    col = np.full(64, float(lo))
    col[30:30 + width] = lo + (hi - lo) * np.arange(1, width + 1) / width
    col[30 + width:] = hi
    grey = np.repeat(col[:, None], 64, 1)  # rows change: a horizontal edge
    grey = grey if horizontal else grey.T
    return np.repeat(np.round(grey).astype(np.uint8)[..., None], 3, -1)


@pytest.mark.parametrize("horizontal", [True, False], ids=["horizontal", "vertical"])
def test_cpbd_published_rule_on_ramps(horizontal: bool) -> None:
    # Contrast 160 (> 50): w_JNB = 3. P_blur = 1 - exp(-(w/3)^3.6): w 1 -> 0.019, w 2 -> 0.23 (<= 0.63,
    # sharp); w 3 -> 0.632, w 4 -> 0.89 (blurred). Every edge pixel of the frame has the same width.
    for width, sharp in ((1, True), (2, True), (3, False), (4, False)):
        assert cpbd_frame(_edge_frame(width, 40, 200, horizontal)) == (1.0 if sharp else 0.0), width
    # Contrast 40 (<= 50): w_JNB = 5. w 4 -> 1 - exp(-(4/5)^3.6) = 0.55 (sharp); w 5 -> 0.632 (blurred).
    assert cpbd_frame(_edge_frame(4, 100, 140, horizontal)) == 1.0
    assert cpbd_frame(_edge_frame(5, 100, 140, horizontal)) == 0.0


def test_cpbd_sharp_horizontal_edge_scores_above_a_blurred_one_like_a_vertical_edge() -> None:
    def edge(sigma: float) -> np.ndarray:
        grey = np.full((64, 64), 40.0)
        grey[32:] = 200.0
        if sigma:
            grey = gaussian(grey, sigma, preserve_range=True)
        return np.round(grey).astype(np.uint8)

    def rgb(grey: np.ndarray) -> np.ndarray:
        return np.repeat(np.ascontiguousarray(grey)[..., None], 3, -1)

    sharp_h, blurred_h = rgb(edge(0)), rgb(edge(3))
    sharp_v, blurred_v = rgb(edge(0).T), rgb(edge(3).T)
    assert cpbd_frame(sharp_h) > cpbd_frame(blurred_h) + 0.5  # lip contours can count as sharp
    assert cpbd_frame(sharp_h) == pytest.approx(cpbd_frame(sharp_v))
    assert cpbd_frame(blurred_h) == pytest.approx(cpbd_frame(blurred_v))
    # The registered metric is the mean over frames.
    assert cpbd(np.stack([sharp_h, blurred_h]), np.stack([sharp_h, sharp_h]))["cpbd"] == pytest.approx(
        (cpbd_frame(sharp_h) + cpbd_frame(blurred_h)) / 2)
