"""Whole-recording shape inference runs torch on one thread per item and leaves the caller's setting alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from lipglance.inference.model.lipsync import LipSync
from lipglance.inference.model.threads import one_thread
from lipglance.io.audio import load_audio


@pytest.fixture()
def two_threads() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def test_items_are_made_on_one_thread_and_the_caller_keeps_its_own(two_threads: None) -> None:
    seen: list[int] = []

    def items() -> Iterator[int]:
        for i in range(3):
            seen.append(torch.get_num_threads())
            yield i

    out = []
    for item in one_thread(items()):
        out.append((item, torch.get_num_threads()))
    assert out == [(0, 2), (1, 2), (2, 2)]
    assert seen == [1, 1, 1]


def test_an_error_inside_restores_the_callers_threads(two_threads: None) -> None:
    def broken() -> Iterator[int]:
        yield 1
        raise ValueError("inside")

    it = one_thread(broken())
    assert next(it) == 1
    with pytest.raises(ValueError, match="inside"):
        next(it)
    assert torch.get_num_threads() == 2


def test_the_bundled_models_head_runs_on_one_thread(two_threads: None, sample_wav: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    model = LipSync.from_pretrained()
    audio = load_audio(sample_wav, model.sample_rate)
    seen: list[int] = []
    head_parts = model.head_parts

    def spy(mels: torch.Tensor) -> np.ndarray:
        seen.append(torch.get_num_threads())
        return head_parts(mels)

    monkeypatch.setattr(model, "head_parts", spy)
    between = [torch.get_num_threads() for _ in model.stream_shapes(audio)]
    assert len(between) > 20 and set(between) == {2}
    assert seen and set(seen) == {1}
