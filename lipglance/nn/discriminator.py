"""Three-stream (audio, video, motion) and two-stream (audio, video) discriminators (docs/DESIGN.md, Discriminator)."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from lipglance.config import AudioConfig, DiscriminatorConfig, GeneratorConfig
from lipglance.nn.blocks import check_shape, conv2d, conv3d, kaiming_init

AUDIO_STRIDES = (1, 2, 1, 2)


class _AudioStream(nn.Module):
    """log-mel [B, 1, T_mel, n_mels] -> embedding [B, E] (full-map Linear, or pooled first)."""

    def __init__(self, cfg: DiscriminatorConfig, mel_frames: int, n_mels: int) -> None:
        super().__init__()
        chans = (1, *cfg.audio_channels)
        self.convs = nn.Sequential(*(conv2d(chans[i], chans[i + 1], 3, AUDIO_STRIDES[i], 1)
                                     for i in range(len(AUDIO_STRIDES))))
        self.pool = cfg.audio_pool
        down = 2 ** sum(s == 2 for s in AUDIO_STRIDES)
        h, w = (cfg.audio_pool, cfg.audio_pool) if cfg.audio_pool else (mel_frames // down, n_mels // down)
        self.fc = nn.Sequential(nn.Linear(chans[-1] * h * w, cfg.audio_embed),
                                nn.BatchNorm1d(cfg.audio_embed), nn.ReLU(inplace=True))

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        x = self.convs(mel)
        if self.pool:
            x = F.adaptive_avg_pool2d(x, self.pool)
        return self.fc(x.flatten(1))


def _stream3d(chans: tuple[int, ...], k: int, strides: tuple[tuple[int, int, int], ...]) -> nn.Sequential:
    """3D conv stream, first layer with bias and no BN (DCGAN style), ReLU throughout."""
    return nn.Sequential(*(conv3d(chans[i], chans[i + 1], k, strides[i], 1, bn=i > 0)
                           for i in range(len(strides))))


class Discriminator(nn.Module):
    """D(video [B,3,T,H,W], mel [B,1,4T,n_mels], motion [B,Cm,T-1,H/4,W/4] | None) -> logits [B]."""

    def __init__(self, cfg: DiscriminatorConfig, gen: GeneratorConfig, audio: AudioConfig,
                 motion_channels: int = 2) -> None:
        super().__init__()
        if cfg.kind == "none":
            raise ValueError("discriminator.kind = 'none' builds no discriminator")
        self.cfg = cfg
        self.frames, self.size = gen.frames, gen.image_size
        self.mel_frames, self.n_mels = gen.frames * audio.mels_per_frame, audio.n_mels
        self.audio = _AudioStream(cfg, self.mel_frames, audio.n_mels)
        self.video = _stream3d((3, *cfg.video_channels), 4, ((2, 2, 2), (2, 2, 2), (2, 2, 2), (1, 2, 2)))
        self.motion_channels = motion_channels
        self.motion: nn.Module | None = None
        streams = cfg.audio_embed + cfg.video_channels[-1]
        if cfg.kind == "three_stream":
            self.motion = _stream3d((motion_channels, *cfg.motion_channels), 3,
                                    ((2, 2, 2), (2, 1, 1), (2, 2, 2), (2, 1, 1)))
            streams += cfg.motion_channels[-1]
        # Size of the video stream's output grid, derived from the input size (k4 p1 convs).
        t, hw = gen.frames, gen.image_size
        for st, ss in ((2, 2), (2, 2), (2, 2), (1, 2)):
            t, hw = (t - 2) // st + 1, (hw - 2) // ss + 1
        self.grid = (t, hw, hw)
        self.head = nn.Sequential(conv3d(streams, cfg.head_channels, 3, 1, 1),
                                  nn.Conv3d(cfg.head_channels, 1, self.grid, 1, 0))
        kaiming_init(self)

    @property
    def uses_motion(self) -> bool:
        return self.motion is not None

    def forward(self, video: torch.Tensor, mel: torch.Tensor,
                motion: torch.Tensor | None = None) -> torch.Tensor:
        check_shape(video, (None, 3, self.frames, self.size, self.size), "Discriminator video")
        check_shape(mel, (None, 1, self.mel_frames, self.n_mels), "Discriminator mel")
        v = self.video(video)
        a = self.audio(mel)[:, :, None, None, None].expand(-1, -1, *self.grid)
        feats = [a, v]
        if self.motion is not None:
            if motion is None:
                raise ValueError("three-stream discriminator needs the motion input")
            check_shape(motion, (None, self.motion_channels, self.frames - 1, None, None),
                        "Discriminator motion")
            m = self.motion(motion)
            if tuple(m.shape[2:]) != self.grid:
                m = F.adaptive_avg_pool3d(m, self.grid)
            feats.append(m)
        return self.head(torch.cat(feats, dim=1)).flatten()
