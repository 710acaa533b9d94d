"""One optimisation step of each stage.

GAN: one forward of G + phi_s + phi_v, the D phase (real, generated and mismatched pairs), the G phase
(D frozen), the EMA update. Shape: the shape head's point loss (+ width and closure-gate terms) with the
generator frozen. Flow / autoencoder: one loss and one optimiser step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from lipglance.batch import Batch
from lipglance.config import GlanceConfig
from lipglance.losses import gate_loss, shape_loss, width_loss
from lipglance.model import GlanceNetworks
from lipglance.objective import discriminator_terms, generator_terms, weighted_total
from lipglance.train.stages import autoencoder_frames, flow_loss

Terms = dict[str, torch.Tensor]


@dataclass
class StageStep:
    """Call with a batch: runs one step of `stage` and returns the loss terms to log."""

    stage: str
    cfg: GlanceConfig
    nets: GlanceNetworks
    optimizers: dict[str, torch.optim.Optimizer]
    single: Any = None  # the (wrapped) network of a one-network stage
    gside: Any = None  # GAN: the (wrapped) generator side, G + phi_s + phi_v
    d_run: Any = None  # GAN: the (wrapped) discriminator
    ema: torch.nn.Module | None = None  # GAN: the exponential moving average of G

    def __call__(self, batch: Batch) -> Terms:
        if self.stage == "gan":
            return self._gan(batch)
        if self.stage == "shape":
            return self._shape(batch)
        return self._single(batch)

    def _zero_step(self, names: tuple[str, ...], loss: torch.Tensor) -> None:
        for name in names:
            if name in self.optimizers:
                self.optimizers[name].zero_grad(set_to_none=True)
        loss.backward()
        for name in names:
            if name in self.optimizers:
                self.optimizers[name].step()

    def _gan(self, batch: Batch) -> Terms:
        terms: Terms = {}
        d_net = self.nets.discriminator
        out = self.gside(batch.mel, batch.identity, batch.video)
        if d_net is not None:  # D phase
            d_terms = discriminator_terms(self.d_run, batch, out)
            self._zero_step(("discriminator",), weighted_total(d_terms, self.cfg.losses))
            terms.update(d_terms)
            d_net.requires_grad_(False)
        # G phase: generator and correlation networks (D frozen, not synchronised).
        g_terms = generator_terms(self.cfg, batch, out, d_net, self._perceptual())
        self._zero_step(("generator", "correlation"), weighted_total(g_terms, self.cfg.losses))
        if d_net is not None:
            d_net.requires_grad_(True)
        terms.update(g_terms)
        if self.ema is not None:
            decay = self.cfg.train.ema_decay
            with torch.no_grad():
                for pe, pg in zip(self.ema.parameters(), self.nets.generator.parameters(), strict=True):
                    pe.lerp_(pg, 1.0 - decay)
                for be, bg in zip(self.ema.buffers(), self.nets.generator.buffers(), strict=True):
                    be.copy_(bg)
        return terms

    def _perceptual(self) -> Any:
        return self.nets.autoencoder.video_features if self.nets.autoencoder is not None else None

    def _shape(self, batch: Batch) -> Terms:
        head = self.nets.generator.shape_head
        assert head is not None
        train = self.cfg.train
        with torch.no_grad():
            audio_feat = self.nets.generator.audio_encoder(batch.mel) if head.needs_shared() else None
        pred, logit = self.single(batch.mel, audio_feat, parts=True)
        gated = head.gate(pred, logit)
        loss = shape_loss(gated, batch.extra["shape"], batch.extra["shape_weight"])
        terms: Terms = {"shape/l1": loss}
        if train.shape_width > 0:
            terms["shape/width"] = width_loss(gated, batch.extra["shape"])
            loss = loss + train.shape_width * terms["shape/width"]
        if logit is not None and train.shape_gate > 0:
            terms["shape/gate_bce"] = gate_loss(logit, batch.extra["sealed"], train.shape_gate_pos)
            loss = loss + train.shape_gate * terms["shape/gate_bce"]
        self._zero_step(("shape_head",), loss)
        return terms

    def _single(self, batch: Batch) -> Terms:
        if self.stage == "flow":
            loss = flow_loss(self.single, batch.video, batch.extra["flow"], self.cfg.flow.scale_weights)
            terms = {"flow/epe_multiscale": loss}
        else:
            frames = autoencoder_frames(batch.video)
            loss = torch.nn.functional.l1_loss(self.single(frames), frames)
            terms = {"ae/l1": loss}
        self._zero_step((self.stage,), loss)
        return terms
