"""The training cache (docs/DESIGN.md, Data rules): memory-mappable shards plus a manifest and a parameter hash.

    CACHE/cache.json              format version, parameters, their hash, what wrote it
    CACHE/manifest.jsonl          one line per video: speaker, utterance, split, frames, fps,
                                  shard, offsets into the shard, and metadata
    CACHE/stats.json              log-mel mean/std per band over the training split
    CACHE/shards/shard-NNNNNN/    crops.npy (uint8 [N, 64, 64, 3]), mel.npy (float16 [4N, n_mels]),
                                  landmarks.npy (float16 [N, 20, 2], mouth points 48-67 in crop
                                  pixels: the landmark track), items.jsonl, summary.json

A shard appears only complete (written to a hidden temp folder, then renamed), so a killed job
leaves no partial shard visible and a rerun skips finished shards, leaving them byte-identical.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lipglance.audio import AudioStats
from lipglance.config import AudioConfig
from lipglance.errors import UserError
from lipglance.io.outputs import atomic_write

CACHE_FORMAT = 1
SHARDS = "shards"


def cache_params(audio: AudioConfig, crop_size: int = 64, smoothing: float = 1.5) -> dict[str, Any]:
    """Everything that changes the cached arrays; a dataset refuses a cache with other values."""
    return {"audio": {k: getattr(audio, k) for k in ("sample_rate", "n_fft", "n_mels", "fps", "mels_per_frame",
                                                      "fmin", "fmax", "log_floor")},
            "crop_size": crop_size, "crop_rule": "mouth-box-1.3-square", "crop_smoothing": smoothing,
            "cache_format": CACHE_FORMAT}


def param_hash(params: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class Video:
    """One video to store: crops uint8 [T, S, S, 3], log-mel [4T, n_mels], landmarks [T, 20, 2]."""

    id: str
    speaker: str
    utterance: str
    split: str
    crops: np.ndarray
    mel: np.ndarray
    landmarks: np.ndarray
    fps: int = 25
    meta: dict[str, Any] = field(default_factory=dict)


def shard_name(index: int) -> str:
    return f"shard-{index:06d}"


def _json_line(obj: dict[str, Any]) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def write_shard(root: Path, index: int, videos: list[Video], failures: list[dict[str, Any]] | None = None) -> Path:
    """Write one complete shard atomically (temp folder + rename)."""
    final = root / SHARDS / shard_name(index)
    tmp = root / SHARDS / f".{shard_name(index)}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    items, f0, m0 = [], 0, 0
    n_mels = videos[0].mel.shape[1] if videos else 0
    total, total_sq, count = np.zeros(n_mels), np.zeros(n_mels), 0
    for v in videos:
        t = len(v.crops)
        if v.mel.shape[0] % max(t, 1) or v.landmarks.shape != (t, 20, 2):
            raise ValueError(f"{v.id}: inconsistent lengths: {t} frames, mel {v.mel.shape}, "
                             f"landmarks {v.landmarks.shape}")
        items.append({"id": v.id, "speaker": v.speaker, "utterance": v.utterance, "split": v.split,
                      "frames": t, "fps": v.fps, "shard": shard_name(index), "frame_start": f0,
                      "mel_start": m0, "meta": v.meta})
        f0, m0 = f0 + t, m0 + len(v.mel)
        if v.split == "train":
            mel = v.mel.astype(np.float64)
            total, total_sq, count = total + mel.sum(0), total_sq + (mel**2).sum(0), count + len(mel)
    size = videos[0].crops.shape[1] if videos else 64
    np.save(tmp / "crops.npy", np.concatenate([v.crops for v in videos]) if videos
            else np.zeros((0, size, size, 3), np.uint8))
    np.save(tmp / "mel.npy", np.concatenate([v.mel for v in videos]).astype(np.float16) if videos
            else np.zeros((0, n_mels), np.float16))
    np.save(tmp / "landmarks.npy", np.concatenate([v.landmarks for v in videos]).astype(np.float16) if videos
            else np.zeros((0, 20, 2), np.float16))
    (tmp / "items.jsonl").write_text("".join(_json_line(i) + "\n" for i in items))
    summary = {"videos": len(items), "train_mel_frames": count, "train_mel_sum": total.tolist(),
               "train_mel_sq": total_sq.tolist(), "failures": failures or []}
    (tmp / "summary.json").write_text(json.dumps(summary, sort_keys=True))
    for f in tmp.iterdir():
        with f.open("rb") as fh:
            os.fsync(fh.fileno())
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    return final


def init_cache(root: Path, params: dict[str, Any], writer: str) -> None:
    """Create the cache folder, or check that an existing one was made with the same parameters."""
    meta = root / "cache.json"
    want = {"format": CACHE_FORMAT, "params": params, "param_hash": param_hash(params), "writer": writer}
    if meta.is_file():
        have = json.loads(meta.read_text())
        if have.get("param_hash") != want["param_hash"]:
            old = have.get("params", {})
            diff = "; ".join(f"{k} {old.get(k)} there, {params.get(k)} now"
                             for k in sorted(set(old) | set(params)) if old.get(k) != params.get(k))
            raise UserError(f"{root} holds a cache made with other parameters ({diff}): use a new output folder")
        return
    (root / SHARDS).mkdir(parents=True, exist_ok=True)
    atomic_write(meta, (json.dumps(want, sort_keys=True, indent=1) + "\n").encode())


def finished_shards(root: Path) -> set[int]:
    d = root / SHARDS
    return {int(p.name.split("-")[1]) for p in d.glob("shard-*") if p.is_dir()} if d.is_dir() else set()


def finalize(root: Path) -> tuple[int, list[dict[str, Any]]]:
    """Write manifest.jsonl and stats.json from the finished shards; return (videos, failures)."""
    lines, failures = [], []
    total = total_sq = None
    count = 0
    for index in sorted(finished_shards(root)):
        d = root / SHARDS / shard_name(index)
        lines.append((d / "items.jsonl").read_text())
        summary = json.loads((d / "summary.json").read_text())
        failures += summary["failures"]
        if summary["train_mel_frames"]:
            s, sq = np.array(summary["train_mel_sum"]), np.array(summary["train_mel_sq"])
            total = s if total is None else total + s
            total_sq = sq if total_sq is None else total_sq + sq
            count += summary["train_mel_frames"]
    manifest = "".join(lines)
    atomic_write(root / "manifest.jsonl", manifest.encode())
    if total is not None and total_sq is not None:
        stats = AudioStats.from_sums(total, total_sq, count)
        atomic_write(root / "stats.json", (json.dumps(stats.to_dict()) + "\n").encode())
    if failures:
        atomic_write(root / "failures.jsonl", "".join(_json_line(f) + "\n" for f in failures).encode())
    return manifest.count("\n"), failures


class Cache:
    """Read access to a finished cache; arrays are memory-mapped."""

    def __init__(self, root: str | Path, expect_params: dict[str, Any] | None = None) -> None:
        self.root = Path(root)
        meta = self.root / "cache.json"
        if not meta.is_file() or not (self.root / "manifest.jsonl").is_file():
            raise UserError(f"{root} is not a finished glance cache (run `lipglance preprocess` or "
                            "`lipglance synth --form cache` to make one)")
        self.info = json.loads(meta.read_text())
        if self.info.get("format") != CACHE_FORMAT:
            raise UserError(f"{root}: cache format {self.info.get('format')}, this glance reads {CACHE_FORMAT}")
        if expect_params is not None and self.info["param_hash"] != param_hash(expect_params):
            raise UserError(f"{root} was made with other parameters ({self.info['params']}); "
                            "re-run preprocessing with this config")
        self.items = [json.loads(line) for line in (self.root / "manifest.jsonl").read_text().splitlines()]
        self._arrays: dict[tuple[str, str], np.ndarray] = {}

    def __getstate__(self) -> dict[str, Any]:
        """Pickle (for DataLoader workers) without the memory maps; each process opens its own."""
        return {**self.__dict__, "_arrays": {}}

    def stats(self) -> AudioStats:
        path = self.root / "stats.json"
        if not path.is_file():
            raise UserError(f"{self.root} has no training-split statistics (no 'train' videos in it)")
        return AudioStats.from_dict(json.loads(path.read_text()))

    def split(self, name: str) -> list[dict[str, Any]]:
        return [i for i in self.items if i["split"] == name]

    def _array(self, shard: str, name: str) -> np.ndarray:
        key = (shard, name)
        if key not in self._arrays:
            self._arrays[key] = np.load(self.root / SHARDS / shard / f"{name}.npy", mmap_mode="r")
        return self._arrays[key]

    def crops(self, item: dict[str, Any]) -> np.ndarray:
        a = self._array(item["shard"], "crops")
        return a[item["frame_start"]:item["frame_start"] + item["frames"]]

    def mel(self, item: dict[str, Any]) -> np.ndarray:
        a = self._array(item["shard"], "mel")
        per_frame = self.info["params"]["audio"]["mels_per_frame"]
        return a[item["mel_start"]:item["mel_start"] + per_frame * item["frames"]]

    def landmarks(self, item: dict[str, Any]) -> np.ndarray:
        a = self._array(item["shard"], "landmarks")
        return a[item["frame_start"]:item["frame_start"] + item["frames"]]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)
