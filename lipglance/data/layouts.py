"""Where the videos of each dataset layout are, and which split each one belongs to.

GRID:   SRC/sN/*.mpg (audio in the video, or SRC/audio/sN/*.wav); speaker-held-out test set.
LRW:    SRC/WORD/{train,val,test}/WORD_NNNNN.mp4; the official splits.
LDC:    SRC/SPEAKER/**/video; test speakers F02 and M01.
folder: every video below SRC; speaker = parent folder; speakers split 80/10/10 by a stable hash.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from lipglance.errors import UserError

VIDEO_EXTS = (".mpg", ".mpeg", ".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".flv")
# LipNet's unseen-speaker split, the common speaker-held-out protocol for GRID.
GRID_TEST = ("s1", "s2", "s20", "s22")
GRID_VAL = ("s3",)
LDC_TEST = ("F02", "M01")
LRW_SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class Source:
    path: str  # relative to SRC
    speaker: str
    utterance: str
    split: str
    audio: str | None = None  # relative path of a separate audio file


def _videos(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in VIDEO_EXTS and p.is_file()
                  and not any(part.startswith(("_", ".")) for part in p.relative_to(root).parts))


def _hash_split(speaker: str) -> str:
    h = int(hashlib.sha256(speaker.encode()).hexdigest(), 16) % 10
    return "test" if h == 0 else "val" if h == 1 else "train"


def list_sources(src: Path, layout: str, test_speakers: tuple[str, ...] | None = None,
                 val_speakers: tuple[str, ...] | None = None) -> list[Source]:
    """All videos of a layout with speaker, utterance and split, in a fixed order."""
    if not src.is_dir():
        raise UserError(f"{src} is not a folder")
    out: list[Source] = []
    for path in _videos(src):
        rel = path.relative_to(src)
        if layout == "grid":
            if len(rel.parts) != 2 or rel.parts[0] == "audio":
                continue
            speaker = rel.parts[0]
            test, val = test_speakers or GRID_TEST, val_speakers or GRID_VAL
            split = "test" if speaker in test else "val" if speaker in val else "train"
            wav = src / "audio" / speaker / f"{path.stem}.wav"
            audio = str(wav.relative_to(src)) if wav.is_file() else None
            out.append(Source(str(rel), speaker, path.stem, split, audio))
        elif layout == "lrw":
            if len(rel.parts) != 3 or rel.parts[1] not in LRW_SPLITS:
                continue
            out.append(Source(str(rel), rel.parts[0], path.stem, rel.parts[1]))
        elif layout == "ldc":
            if len(rel.parts) < 2:
                continue
            speaker = rel.parts[0]
            split = "test" if speaker in (test_speakers or LDC_TEST) else \
                "val" if val_speakers and speaker in val_speakers else "train"
            out.append(Source(str(rel), speaker, str(rel.with_suffix("")).replace("/", "_"), split))
        elif layout == "folder":
            speaker = rel.parts[-2] if len(rel.parts) > 1 else "root"
            if test_speakers or val_speakers:
                split = "test" if speaker in (test_speakers or ()) else \
                    "val" if speaker in (val_speakers or ()) else "train"
            else:
                split = _hash_split(speaker)
            out.append(Source(str(rel), speaker, str(rel.with_suffix("")).replace("/", "_"), split))
        else:
            raise UserError(f"unknown layout {layout!r} (grid, lrw, ldc, folder)")
    if not out:
        raise UserError(f"no videos found in {src} for the '{layout}' layout ({_expect(layout)})")
    return out


def _expect(layout: str) -> str:
    return {"grid": "expected SRC/sN/*.mpg", "lrw": "expected SRC/WORD/{train,val,test}/WORD_NNNNN.mp4",
            "ldc": "expected SRC/SPEAKER/.../video", "folder": "any video files below SRC"}.get(layout, "")
