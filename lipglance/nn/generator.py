"""Generator G(s, p): audio encoder E_s, identity encoder E_p, 3D fusion and decoder (docs/DESIGN.md)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from lipglance.config import AudioConfig, GeneratorConfig
from lipglance.nn.blocks import ResBlock3d, check_shape, conv2d, conv3d, kaiming_init, up3d
from lipglance.nn.seal import RoundTrack, SealDetector, SealTrack

# (time, frequency) strides of the five audio layers: T/4 x F/8 overall.
AUDIO_STRIDES: tuple[tuple[int, int], ...] = ((1, 1), (2, 2), (1, 1), (2, 2), (1, 2))


class AudioEncoder(nn.Module):
    """E_s: log-mel [B, 1, T_mel, n_mels] -> features [B, C, T_mel/4, n_mels/8]."""

    def __init__(self, cfg: GeneratorConfig, audio: AudioConfig) -> None:
        super().__init__()
        self.mel_frames = cfg.frames * audio.mels_per_frame
        self.n_mels = audio.n_mels
        chans = (1, *cfg.audio_channels)
        self.net = nn.Sequential(
            *(conv2d(chans[i], chans[i + 1], 3, AUDIO_STRIDES[i], 1) for i in range(len(AUDIO_STRIDES)))
        )
        self.out_channels = chans[-1]

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        check_shape(mel, (None, 1, self.mel_frames, self.n_mels), "AudioEncoder input")
        return self.net(mel)


class IdentityEncoder(nn.Module):
    """E_p: identity image [B, 3, H, W] -> features [B, C, H/4, W/4]."""

    def __init__(self, cfg: GeneratorConfig) -> None:
        super().__init__()
        c0, c1, c2 = cfg.identity_channels
        self.size = cfg.image_size
        self.net = nn.Sequential(
            nn.ReflectionPad2d(3),
            conv2d(3, c0, 7, 1, 0),
            conv2d(c0, c1, 3, 2, 1),
            conv2d(c1, c2, 3, 2, 1),
        )
        self.out_channels = c2

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.features(image)[-1]

    def features(self, image: torch.Tensor) -> list[torch.Tensor]:
        """Outputs at full, 1/2 and 1/4 resolution (the last is E_p(p))."""
        check_shape(image, (None, 3, self.size, self.size), "IdentityEncoder input")
        x, feats = self.net[0](image), []
        for layer in list(self.net)[1:]:
            x = layer(x)
            feats.append(x)
        return feats


class Decoder(nn.Sequential):
    """ResBlock3d x N -> 2 x (upsample H, W) -> Conv3d to RGB -> tanh (the paper's layer order and names).

    With `identity_skips` (beyond the paper) the second upsampling also sees E_p's half-resolution
    features, and the output is the identity image plus a learned change before the tanh
    (tanh(conv(x) + atanh(p)), the conv zero-initialised): the decoder starts from the still face
    instead of rebuilding it from the 16x16 fusion grid, and spends itself on the lips.
    """

    def __init__(self, cfg: GeneratorConfig, skip_channels: int) -> None:
        u0, u1 = cfg.up_channels
        s32 = skip_channels if cfg.identity_skips else 0
        super().__init__(
            *(ResBlock3d(cfg.fusion_channels) for _ in range(cfg.res_blocks)),
            up3d(cfg.fusion_channels, u0, cfg.upsample),
            up3d(u0 + s32, u1, cfg.upsample),
            nn.Conv3d(u1, 3, cfg.out_kernel, 1, cfg.out_kernel // 2),
        )
        self.skips = cfg.identity_skips

    def start_from_identity(self) -> None:
        """Zero the output convolution: with the skips, G(s, p) is then exactly the still image p."""
        out = self[-1]
        assert isinstance(out, nn.Conv3d)
        nn.init.zeros_(out.weight)
        nn.init.zeros_(out.bias)  # type: ignore[arg-type]

    def forward(self, x: torch.Tensor, half: torch.Tensor, image: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        *blocks, up0, up1, out = list(self)
        for block in blocks:
            x = block(x)
        x = up0(x)
        if self.skips:
            x = torch.cat([x, _over_time(half, x.shape[2])], dim=1)
        x = out(up1(x))
        if self.skips:
            x = x + _over_time(torch.atanh(image.clamp(-0.999, 0.999)), x.shape[2])
        return torch.tanh(x)


def _over_time(x: torch.Tensor, frames: int) -> torch.Tensor:
    return x.unsqueeze(2).expand(-1, -1, frames, -1, -1)


class ShapeHead(nn.Module):
    """Beyond the paper: E_s features [B, C, T, F] -> mouth shape coefficients [B, T, K] per frame
    (a small temporal conv net); `shapes` turns them into landmark displacements [B, T, 20, 2]
    with the PCA basis it holds as buffers (lipglance.shape.ShapeBasis, filled when its training starts).
    With a closure gate (cfg.shape_gate) one more output per frame is the logit that the lips are sealed
    (p/b/m), from the shape network or, with cfg.shape_seal, from a seal detector on the log-mel
    (lipglance.nn.seal); where it fires the shape becomes `closed_shape`, the corpus's mean sealed shape: softly by
    its sigmoid in training, fully where the logit is above `gate_threshold` in eval mode (as in inference); that
    threshold is set on the validation split so that the gate closes a share `train.shape_gate_false` of its
    clearly open frames."""

    basis_mean: torch.Tensor
    basis_components: torch.Tensor
    closed_shape: torch.Tensor
    gate_threshold: torch.Tensor

    def __init__(self, cfg: GeneratorConfig, audio: AudioConfig, in_channels: int) -> None:
        super().__init__()
        self.encoder = AudioEncoder(cfg, audio) if cfg.shape_encoder == "own" else None
        k, h = cfg.shape_components, cfg.shape_hidden
        self.gated, self.cmn = cfg.shape_gate, cfg.shape_cmn
        cin = in_channels * audio.n_mels // 8
        self.seal = SealDetector(audio.n_mels) if cfg.shape_seal else None
        self.track = SealTrack(audio.n_mels) if cfg.seal_track else None  # fitted by `lipglance seal`
        self.round = RoundTrack(audio.n_mels) if cfg.round_track else None  # fitted by `lipglance seal --round`
        self.tongue = SealTrack(audio.n_mels) if cfg.tongue_track else None  # fitted by `lipglance seal --tongue`
        extra = int(self.gated and self.seal is None)  # the gate's logit as one more output of the shape network
        self.net = nn.Sequential(nn.Conv1d(cin, h, 3, 1, 1), nn.LeakyReLU(0.2), nn.Conv1d(h, h, 5, 1, 2),
                                 nn.LeakyReLU(0.2), nn.Conv1d(h, k + extra, 1))
        self.register_buffer("basis_mean", torch.zeros(40))
        self.register_buffer("basis_components", torch.zeros(k, 40))
        self.register_buffer("closed_shape", torch.zeros(40))
        self.register_buffer("gate_threshold", torch.zeros(()))  # calibrated on validation (lipglance.train.stages)

    def forward(self, mel: torch.Tensor, audio_feat: torch.Tensor | None = None, parts: bool = False) -> Any:
        """Gated shapes [B, T, 20, 2] of log-mel windows: from the head's own encoder, or from E_s's
        `audio_feat`; with `parts`, the pair `self.parts` returns (so that a DDP wrapper sees the call)."""
        shapes, logit = self.parts(mel, audio_feat)
        return (shapes, logit) if parts else self.gate(shapes, logit)

    def parts(self, mel: torch.Tensor, audio_feat: torch.Tensor | None = None
              ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(shapes before the gate [B, T, 20, 2], closure logits [B, T] or None without a gate)."""
        if self.encoder is not None:
            audio_feat = self.encoder(mel - mel.mean(-2, keepdim=True) if self.cmn else mel)
        if audio_feat is None:
            raise ValueError("a shape head on the shared E_s needs its features")
        out = self.coefficients(audio_feat)
        k = self.basis_components.shape[0]
        if self.seal is not None:
            return self.shapes(out[..., :k]), self.seal(mel)
        return self.shapes(out[..., :k]), (out[..., k] if self.gated else None)

    def gate(self, shapes: torch.Tensor, logit: torch.Tensor | None) -> torch.Tensor:
        """Shapes [..., 20, 2] moved towards `closed_shape` by the gate: sigmoid(logit) in training, fully where
        logit > gate_threshold in eval mode."""
        if logit is None:
            return shapes
        g = torch.sigmoid(logit) if self.training else (logit > self.gate_threshold).to(shapes.dtype)
        return shapes + g[..., None, None] * (self.closed_shape.reshape(20, 2) - shapes)

    def coefficients(self, audio_feat: torch.Tensor) -> torch.Tensor:
        """E_s features [B, C, T, F] -> coefficients [B, T, K] (then the closure logit, with a gate and no seal
        detector)."""
        b, c, t, f = audio_feat.shape
        return self.net(audio_feat.permute(0, 1, 3, 2).reshape(b, c * f, t)).transpose(1, 2)

    def needs_shared(self) -> bool:
        return self.encoder is None

    def shapes(self, coeffs: torch.Tensor) -> torch.Tensor:
        """Coefficients [..., K] -> displacements [..., 20, 2] (rest widths)."""
        x = coeffs @ self.basis_components + self.basis_mean
        return x.reshape(*coeffs.shape[:-1], 20, 2)


class Generator(nn.Module):
    """G: (log-mel [B, 1, 4T, n_mels], identity [B, 3, H, W]) -> video [B, 3, T, H, W] in [-1, 1]."""

    def __init__(self, cfg: GeneratorConfig, audio: AudioConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg
        self.audio_encoder = AudioEncoder(cfg, audio or AudioConfig())
        self.identity_encoder = IdentityEncoder(cfg)
        cin = self.audio_encoder.out_channels + self.identity_encoder.out_channels
        self.fusion = conv3d(cin, cfg.fusion_channels, 3, 1, 1)
        self.decoder = Decoder(cfg, cfg.identity_channels[1])
        kaiming_init(self)
        # after the init: the head keeps PyTorch's default init (kaiming_init is tuned for the GAN's convs)
        self.shape_head = (ShapeHead(cfg, audio or AudioConfig(), self.audio_encoder.out_channels)
                           if cfg.shape_components else None)
        if cfg.identity_skips:
            self.decoder.start_from_identity()

    def fuse(self, audio_feat: torch.Tensor, identity_feat: torch.Tensor) -> torch.Tensor:
        """Tile audio [B, Ca, T, F] over a new last axis and identity [B, Cp, H, W] over T; concat."""
        b, _, t, f = audio_feat.shape
        h, w = identity_feat.shape[-2:]
        if (f, f) != (h, w):
            raise ValueError(f"fusion grid mismatch: audio F={f}, identity {h}x{w}")
        a = audio_feat.unsqueeze(-1).expand(-1, -1, t, f, f)
        p = identity_feat.unsqueeze(2).expand(-1, -1, t, h, w)
        return self.fusion(torch.cat([a, p], dim=1))

    def forward(self, mel: torch.Tensor, identity: torch.Tensor) -> torch.Tensor:
        return self.decode(self.audio_encoder(mel), identity)

    def decode(self, audio_feat: torch.Tensor, identity: torch.Tensor) -> torch.Tensor:
        """Video from precomputed E_s features (lets the objective reuse them for phi_s)."""
        _, half, quarter = self.identity_encoder.features(identity)
        if self.cfg.identity_skips and self.cfg.mouth_mask > 0:
            identity = mask_mouth(identity, self.cfg.mouth_mask)
            half = self.identity_encoder.features(identity)[1]
        return self.decoder(self.fuse(audio_feat, quarter), half, identity)


def mouth_region(size: int, device: torch.device | None = None) -> torch.Tensor:
    """Soft ellipse [size, size] in [0, 1] over the mouth of a lip crop (the crop rule centres the mouth
    box and makes it 1/1.3 of the side): 1 inside, a feathered edge, 0 at the cheeks and the nose."""
    c = (torch.arange(size, device=device, dtype=torch.float32) + 0.5) / size - 0.5
    y, x = torch.meshgrid(c, c, indexing="ij")
    r = torch.sqrt((x / 0.44) ** 2 + (y / 0.27) ** 2)
    return ((1.25 - r) / 0.35).clamp(0, 1)


def mask_mouth(image: torch.Tensor, strength: float) -> torch.Tensor:
    """Blend the mouth region of [B, 3, H, W] images towards its mean colour (per image)."""
    m = mouth_region(image.shape[-1], image.device) * strength
    fill = (image * m).sum((-2, -1), keepdim=True) / m.sum()
    return image * (1 - m) + fill * m
