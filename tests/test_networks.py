"""Per-module shape tests and the paper preset's parameter counts."""

from __future__ import annotations

import pytest
import torch

from lipglance.config import PRESETS, load_config
from lipglance.model import GlanceNetworks, count_parameters
from lipglance.nn import (
    AudioDerivativeEncoder,
    AudioEncoder,
    Discriminator,
    FlowNet,
    Generator,
    IdentityEncoder,
    MotionEncoder,
    PerceptualAutoencoder,
)

B = 2


@pytest.fixture(params=list(PRESETS))
def cfg(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    return load_config(request.param)


def test_generator_blocks(cfg) -> None:  # type: ignore[no-untyped-def]
    g = cfg.generator
    mel = torch.randn(B, 1, 64, 128)
    audio = AudioEncoder(g, cfg.audio)(mel)
    assert audio.shape == (B, g.audio_channels[-1], 16, 16)
    ident = IdentityEncoder(g)(torch.randn(B, 3, 64, 64))
    assert ident.shape == (B, g.identity_channels[-1], 16, 16)
    gen = Generator(g, cfg.audio)
    fused = gen.fuse(audio, ident)
    assert fused.shape == (B, g.fusion_channels, 16, 16, 16)
    video = gen(mel, torch.randn(B, 3, 64, 64))
    assert video.shape == (B, 3, 16, 64, 64)
    assert video.abs().max() <= 1.0


def test_discriminators_return_logits(cfg) -> None:  # type: ignore[no-untyped-def]
    video, mel = torch.randn(B, 3, 16, 64, 64), torch.randn(B, 1, 64, 128)
    flow = torch.randn(B, 2, 15, 16, 16)
    for kind in ("three_stream", "two_stream"):
        d = Discriminator(type(cfg.discriminator)(**{**cfg.discriminator.__dict__, "kind": kind}),
                          cfg.generator, cfg.audio)
        out = d(video, mel, flow if kind == "three_stream" else None)
        assert out.shape == (B,)
        assert d.uses_motion == (kind == "three_stream")


def test_three_stream_needs_motion(cfg) -> None:  # type: ignore[no-untyped-def]
    d = Discriminator(cfg.discriminator, cfg.generator, cfg.audio)
    with pytest.raises(ValueError, match="motion"):
        d(torch.randn(B, 3, 16, 64, 64), torch.randn(B, 1, 64, 128))


def test_flow_net_scales_and_video_flow(cfg) -> None:  # type: ignore[no-untyped-def]
    f = FlowNet(cfg.flow)
    flows = f(torch.randn(3, 6, 64, 64))
    assert [tuple(x.shape) for x in flows] == [(3, 2, s, s) for s in (16, 8, 4, 2, 1)]
    assert f.video_flow(torch.randn(B, 3, 16, 64, 64)).shape == (B, 2, 15, 16, 16)


def test_correlation_encoders(cfg) -> None:  # type: ignore[no-untyped-def]
    c = cfg.correlation
    phi_s = AudioDerivativeEncoder(c, cfg.generator.audio_channels[-1])
    phi_v = MotionEncoder(c, 2)
    a = phi_s(torch.randn(B, cfg.generator.audio_channels[-1], 16, 16))
    v = phi_v(torch.randn(B, 2, 15, 16, 16))
    assert a.shape == v.shape == (B, 15, c.audio_channels[-1])


def test_autoencoder(cfg) -> None:  # type: ignore[no-untyped-def]
    ae = PerceptualAutoencoder(cfg.autoencoder)
    x = torch.randn(B, 3, 64, 64)
    assert ae.encode(x).shape == (B, cfg.autoencoder.channels[-1], 16, 16)
    assert ae(x).shape == x.shape
    assert ae.video_features(torch.randn(B, 3, 16, 64, 64)).shape[0] == B * 16


def test_paper_parameter_counts() -> None:
    nets = GlanceNetworks(load_config("paper"))
    assert count_parameters(nets.generator) == pytest.approx(16.70e6, rel=0.01)
    assert count_parameters(nets.discriminator) == pytest.approx(54.3e6, rel=0.01)


def test_shape_errors_are_readable() -> None:
    g = Generator(load_config("tiny").generator)
    with pytest.raises(ValueError, match=r"expected shape \[\*, 1, 64, 128\]"):
        g(torch.randn(1, 1, 60, 128), torch.randn(1, 3, 64, 64))


def test_ablation_networks_build() -> None:
    for spec, has_d, has_flow, has_corr, has_ae in [
        ("tiny+b", False, False, False, False),
        ("tiny+a", True, False, False, False),
        ("tiny+c", True, True, False, False),
        ("tiny+e", True, True, True, True),
        ("tiny+h", True, False, False, True),
        ("tiny+i", True, False, True, True),
    ]:
        nets = GlanceNetworks(load_config(spec))
        assert (nets.discriminator is not None, nets.flow is not None, nets.phi_s is not None,
                nets.autoencoder is not None) == (has_d, has_flow, has_corr, has_ae), spec
