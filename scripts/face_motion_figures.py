"""Before/after figures of benchmarks/bench_face_motion.py: the two strips stacked, and a side-by-side video.

The strips (the same frames in both runs: a p/b/m and the most open ones) go one above the other, each with its
name. The video: each photo's face in the first recording, the previous release on the left and this one on the
right, the recording as its sound (the mp4s the benchmark keeps with --videos).

    .venv/bin/python scripts/face_motion_figures.py --before docs/face_motion_before --after docs/face_motion \
        --before-videos B --after-videos A --video docs/face_motion_side_by_side.mp4
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

from lipglance.face import detect_faces, landmarks
from lipglance.inference.model.lipsync import LipSync
from lipglance.io.decode import iter_frames

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from bench_face_motion import recordings  # noqa: E402
from figures import label  # noqa: E402

TILE = 240  # px: each face in the video


def stacked(before: Path, after: Path, out: Path) -> None:
    rows = [cv2.imread(str(p)) for p in (before, after)]
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    sheet = label([r[..., ::-1] for r in rows], ["previous release", "this release"], width=150)
    cv2.imwrite(str(out), sheet[..., ::-1])


def face_box(frame: np.ndarray) -> tuple[int, int, int]:
    """(x, y, side) of a square from above the eyes to below the chin."""
    box = (detect_faces(frame) or detect_faces(frame, upsample=1))[0]
    p = landmarks(frame, box)
    fw = float(np.linalg.norm(p[0] - p[16]))
    cx, cy = float(p[30, 0]), float(p[30, 1]) + 0.2 * fw
    side = int(1.5 * fw)
    return int(max(0, cx - side / 2)), int(max(0, cy - side / 2)), side


def side_by_side(before: Path, after: Path, out: Path) -> None:
    names = sorted({p.stem for p in before.glob("*.mp4")} & {p.stem for p in after.glob("*.mp4")})
    rows: list[list[np.ndarray]] = []
    for name in names:
        pair = [list(iter_frames(d / f"{name}.mp4", 25)) for d in (before, after)]
        x, y, side = face_box(pair[0][0])
        tiles = [[cv2.resize(f[y:y + side, x:x + side], (TILE, TILE), interpolation=cv2.INTER_AREA) for f in v]
                 for v in pair]
        rows.append([np.concatenate([b, a], axis=1) for b, a in zip(*tiles, strict=False)])
    n = min(len(r) for r in rows)
    frames = [np.concatenate([r[k] for r in rows], axis=0) for k in range(n)]
    for f in frames:
        for text, x in (("before", 6), ("after", TILE + 6)):
            cv2.putText(f, text, (x, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
    LipSync.save(out, frames, recordings()[0][0], crf=26)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--before", required=True, help="the previous release's output prefix (its _strip.png)")
    p.add_argument("--after", required=True, help="this release's output prefix")
    p.add_argument("--before-videos", help="the previous release's --videos folder")
    p.add_argument("--after-videos", help="this release's --videos folder")
    p.add_argument("--video", help="the side-by-side mp4 to write")
    args = p.parse_args()
    before, after = Path(args.before), Path(args.after)
    stacked(before.parent / f"{before.name}_strip.png", after.parent / f"{after.name}_strip.png",
            after.parent / f"{after.name}_before_after.png")
    if args.video:
        side_by_side(Path(args.before_videos), Path(args.after_videos), Path(args.video))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
