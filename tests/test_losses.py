"""Loss behaviour: correlation forms, the mismatch term, gradients through the flow net."""

from __future__ import annotations

import torch

from lipglance.batch import Batch
from lipglance.config import load_config
from lipglance.losses import correlation_loss
from lipglance.model import GeneratorSide, GlanceNetworks
from lipglance.objective import discriminator_terms, step_terms, weighted_total


def _vec(values: list[float]) -> torch.Tensor:
    """[1, T] values -> [1, T, K] with the same value on every channel."""
    return torch.tensor(values)[None, :, None].expand(1, -1, 16).clone()


def test_cosine_identical_is_zero_and_opposite_is_two() -> None:
    a = _vec([0.5, -1.0, 2.0, 0.1, 3.0])
    assert correlation_loss(a, a, "cosine").item() < 1e-6
    assert abs(correlation_loss(a, -a, "cosine").item() - 2.0) < 1e-6


def test_pearson_identical_zero_opposite_two() -> None:
    a = _vec([0.5, -1.0, 2.0, 0.1, 3.0])
    assert correlation_loss(a, a, "pearson").item() < 1e-6
    assert abs(correlation_loss(a, -a, "pearson").item() - 2.0) < 1e-6
    # Pearson ignores offset and scale: a shifted, scaled copy still correlates perfectly.
    assert correlation_loss(a, 3 * a + 7, "pearson").item() < 1e-6


def test_pearson_gives_no_reward_to_constant_outputs() -> None:
    a = _vec([0.5, -1.0, 2.0, 0.1, 3.0])
    const = _vec([4.0] * 5)
    # The paper's cosine form rewards two positive constants (the collapse of the authors' code) ...
    assert correlation_loss(const, const, "cosine").item() < 1e-6
    # ... the Pearson form gives constants the loss of no correlation at all.
    assert abs(correlation_loss(const, const, "pearson").item() - 1.0) < 1e-6
    assert abs(correlation_loss(a, const, "pearson").item() - 1.0) < 1e-6


def _batch(cfg, b: int = 2) -> Batch:  # type: ignore[no-untyped-def]
    torch.manual_seed(0)
    n_mel = cfg.generator.frames * cfg.audio.mels_per_frame
    return Batch(
        video=torch.rand(b, 3, 16, 64, 64) * 2 - 1,
        mel=torch.randn(b, 1, n_mel, cfg.audio.n_mels),
        identity=torch.rand(b, 3, 64, 64) * 2 - 1,
        wrong_mel=torch.randn(b, 1, n_mel, cfg.audio.n_mels),
    )


def test_discriminator_loss_uses_the_mismatched_audio() -> None:
    cfg = load_config("tiny+e")
    nets = GlanceNetworks(cfg).eval()  # eval: BatchNorm uses running stats, samples are independent
    batch = _batch(cfg)
    out = GeneratorSide(nets)(batch.mel, batch.identity, batch.video)
    d = nets.discriminator
    assert d is not None
    terms = discriminator_terms(d, batch, out)
    assert set(terms) == {"d/real", "d/fake", "d/mismatch"}
    # Change only the wrong audio: only the mismatch term changes.
    other = Batch(batch.video, batch.mel, batch.identity, torch.randn_like(batch.wrong_mel))
    terms2 = discriminator_terms(d, other, out)
    assert torch.allclose(terms["d/real"], terms2["d/real"])
    assert torch.allclose(terms["d/fake"], terms2["d/fake"])
    assert not torch.allclose(terms["d/mismatch"], terms2["d/mismatch"])
    # And the mismatch gradient reaches D's audio stream through the wrong audio.
    wrong = batch.wrong_mel.clone().requires_grad_(True)
    discriminator_terms(d, Batch(batch.video, batch.mel, batch.identity, wrong), out)["d/mismatch"].backward()
    assert wrong.grad is not None and wrong.grad.abs().sum() > 0


def test_correlation_gradient_reaches_generator_through_flow_net() -> None:
    cfg = load_config("tiny+e")
    nets = GlanceNetworks(cfg).train()
    assert nets.flow is not None
    for p in nets.flow.parameters():
        p.requires_grad_(False)  # frozen, as in the GAN stage: gradients pass through it
    batch = _batch(cfg)
    out, _, terms = step_terms(nets, batch)
    out.fake.retain_grad()
    terms["g/corr_fake"].backward()
    assert out.fake.grad is not None and out.fake.grad.abs().sum() > 0
    decoder_grad = sum(p.grad.abs().sum() for p in nets.generator.decoder.parameters() if p.grad is not None)
    identity_grad = sum(p.grad.abs().sum() for p in nets.generator.identity_encoder.parameters()
                        if p.grad is not None)
    assert decoder_grad > 0 and identity_grad > 0
    assert all(p.grad is None for p in nets.flow.parameters())


def test_generator_terms_follow_the_ablation() -> None:
    expected = {
        "tiny+b": {"g/pix"},
        "tiny+a": {"g/pix", "g/adv"},
        "tiny+d": {"g/pix", "g/adv", "g/perc"},
        "tiny+e": {"g/pix", "g/adv", "g/perc", "g/corr_real", "g/corr_fake"},
        "tiny+f": {"g/pix", "g/adv", "g/perc", "g/corr_real", "g/corr_fake"},
        "tiny+i": {"g/pix", "g/adv", "g/perc", "g/corr_real", "g/corr_fake"},
    }
    for spec, names in expected.items():
        cfg = load_config(spec)
        nets = GlanceNetworks(cfg)
        _, d_terms, terms = step_terms(nets, _batch(cfg))
        assert set(terms) == names, spec
        assert bool(d_terms) == ("g/adv" in names)
        total = weighted_total(terms, cfg.losses)
        manual = sum({"g/pix": cfg.losses.pix, "g/adv": cfg.losses.gen, "g/perc": cfg.losses.perc,
                      "g/corr_real": cfg.losses.corr_real, "g/corr_fake": cfg.losses.corr_fake}[k] * v
                     for k, v in terms.items())
        assert torch.allclose(total, manual)


def test_paper_weights_are_the_default_and_code_weights_a_preset() -> None:
    paper = load_config("paper").losses
    assert (paper.corr_real, paper.corr_fake, paper.pix, paper.perc, paper.gen) == (1, 1, 0.5, 1, 1)
    code = load_config("paper+code_weights").losses
    assert (code.pix, code.corr_real, code.corr_fake) == (0.2, 0.5, 0.5)
