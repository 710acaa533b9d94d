"""The typed training batch shared by datasets, the objective and the trainer."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import torch


@dataclass
class Batch:
    """video [B, 3, T, H, W] in [-1, 1]; mel, wrong_mel [B, 1, 4T, n_mels]; identity [B, 3, H, W]."""

    video: torch.Tensor
    mel: torch.Tensor
    identity: torch.Tensor
    wrong_mel: torch.Tensor
    extra: dict[str, torch.Tensor] = field(default_factory=dict)  # stage-specific targets (e.g. "flow")

    def to(self, device: torch.device | str) -> Batch:
        moved = {f.name: getattr(self, f.name).to(device, non_blocking=True) for f in fields(self) if f.name != "extra"}
        return Batch(**moved, extra={k: v.to(device, non_blocking=True) for k, v in self.extra.items()})

    def __len__(self) -> int:
        return int(self.video.shape[0])
