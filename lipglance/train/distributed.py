"""torchrun support: process group from the environment, rank-0 helpers, a resumable sampler.

    torchrun --nproc_per_node 2 -m lipglance train gan --config tiny --data CACHE --out RUN
    torchrun --nnodes 2 --node_rank 0 --master_addr HOST --master_port 29500 --nproc_per_node 8 \
        -m lipglance train gan ...        (and --node_rank 1 on the second machine)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist
from torch.utils.data import Sampler


@dataclass(frozen=True)
class Dist:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0


def init_distributed(device: str) -> Dist:
    """Join the process group torchrun describes (gloo on CPU, nccl on GPU); single process otherwise."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Dist()
    rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if device.startswith("cuda"):
        torch.cuda.set_device(local)
    dist.init_process_group("nccl" if device.startswith("cuda") else "gloo", rank=rank, world_size=world)
    return Dist(rank, world, local)


def barrier(d: Dist) -> None:
    if d.world > 1:
        dist.barrier()


def sync_buffers(d: Dist, modules: list[torch.nn.Module]) -> None:
    """Copy rank 0's buffers (BatchNorm running statistics) to every rank, as DDP does before a forward."""
    if d.world > 1:
        for m in modules:
            for b in m.buffers():
                dist.broadcast(b, 0)


class EpochSampler(Sampler[int]):
    """Shuffled (seed, epoch) permutation split across ranks, resumable at any batch of an epoch."""

    def __init__(self, n: int, d: Dist, seed: int, shuffle: bool = True) -> None:
        self.n, self.d, self.seed, self.shuffle = n, d, seed, shuffle
        self.epoch, self.start = 0, 0

    def set_position(self, epoch: int, start_sample: int) -> None:
        self.epoch, self.start = epoch, start_sample

    def indices(self) -> list[int]:
        order = np.random.default_rng([self.seed, self.epoch]).permutation(self.n) if self.shuffle \
            else np.arange(self.n)
        per_rank = self.n // self.d.world
        mine = order[self.d.rank * per_rank:(self.d.rank + 1) * per_rank]
        return [int(i) for i in mine[self.start:]]

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices())

    def __len__(self) -> int:
        return self.n // self.d.world - self.start
