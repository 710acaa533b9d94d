"""A strip of frames across recorded pauses, the pause gate off and on (issue 25, "silence still closed").

Debian pocketsphinx-testdata's cards/004 ("five five", a pause between the words) and the end of a LibriVox
sentence (sense_and_sensibility ...-0930, its trailing pause): the default command's frames (`LipSync.stream`,
still: no blinks or sway, so only the mouth changes) on the astronaut and Grace Hopper, the mouth of every
frame from just before the pause into it (or through it), the gate off (`LipSync.pause = False`, the previous
release) above, on below. Each tile is labelled with the frame's pause weight (0: the shape head's own shape,
1: the closed rest mouth).

    .venv/bin/python scripts/pause_strip.py --out docs/pause_strip.png
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import cv2
import numpy as np

from lipglance.face import detect_faces, landmarks
from lipglance.inference.model.lipsync import LipSync
from lipglance.inference.speech.pause_gate import pause_weights
from lipglance.io.audio import load_audio

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from bench_face_motion import photos  # noqa: E402
from figures import label  # noqa: E402

DATA = Path("/usr/share/pocketsphinx/test/data")  # Debian pocketsphinx-testdata
CLIPS = (("cards/004.wav", 14, 24), ("librivox/sense_and_sensibility_01_austen_64kb-0930.wav", 72, 82))  # frames
TILE = 110


def mouth_tile(frame: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """The mouth of a frame (0.6 face widths square around dlib's mouth points), TILE pixels square."""
    fw = float(np.linalg.norm(pts[0] - pts[16]))
    cx, cy = pts[48:68].mean(0)
    half = 0.3 * fw
    crop = frame[int(max(0, cy - half)):int(cy + half), int(max(0, cx - half)):int(cx + half)]
    return cv2.resize(crop, (TILE, TILE), interpolation=cv2.INTER_CUBIC)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True, help="PNG to write")
    args = p.parse_args()
    model, pics = LipSync.from_pretrained(), photos()
    rows, names = [], []
    for clip, first, last in CLIPS:
        wave = load_audio(DATA / clip, model.sample_rate)
        weights = pause_weights(wave, model.sample_rate, model.frame_count(len(wave)), model.fps)
        head = np.full((20, TILE * (last - first), 3), 255, np.uint8)
        for k, i in enumerate(range(first, last)):
            cv2.putText(head, f"{i} w{weights[i]:.1f}", (TILE * k + 4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.38,
                        (0, 0, 0), 1, cv2.LINE_AA)
        rows.append(head)
        names.append(Path(clip).stem[-12:])
        for name in ("astronaut", "hopper"):
            img = pics[name]
            for pause in (False, True):
                frames = list(dataclasses.replace(model, pause=pause).stream(wave, img, still=True))
                box = (detect_faces(frames[0]) or detect_faces(frames[0], upsample=1))[0]
                pts = landmarks(frames[0], box).astype(np.float64)
                tiles = [mouth_tile(frames[i], pts) for i in range(first, last)]
                rows.append(np.concatenate(tiles, axis=1))
                names.append(f"{name} gate {'on' if pause else 'off'}")
    sheet = label(rows, names, width=130)
    cv2.imwrite(args.out, cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
