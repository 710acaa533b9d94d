"""Where open pause frames come from (issue 25, "silence still closed"): the shape head, the renderer, or dlib and
H.264.

bench_face_motion.py's setting (the default command on its three photos, the 10 transcribed recordings of
pocketsphinx-testdata, dlib's 68 points; pause frames: REST_MARGIN from any phone of the transcript path), read at
each stage, with the pause gate off (`LipSync.pause = False`, the previous release) and on:
- shape_open: pause frames whose shape (`stream_shapes`) opens by CLOSED (lipglance.shape, 0.03 rest widths) or
  more: the head draws them open;
- rest_exact: pause frames whose shape is exactly the rest mouth (0);
- still_raw: pause frames dlib reads closed (< bench_face_motion.CLOSED rest widths) on the rendered frames,
  still (no blink, no sway), before any encoding: what the renderer draws;
- still_h264: the same frames written as H.264 and decoded;
- default_h264: the default command (blinks and sway) through H.264: bench_face_motion's silence_closed.

    .venv/bin/python benchmarks/bench_pause_sources.py --out docs/pause_sources.json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

from lipglance.face import detect_faces, landmarks
from lipglance.inference.model.lipsync import LipSync
from lipglance.io.audio import load_audio
from lipglance.io.decode import iter_frames
from lipglance.shape import CLOSED as SHAPE_CLOSED
from lipglance.shape import inner_opening, mouth_width, opening_of

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_face_motion import CLOSED, photos, recordings, reference  # noqa: E402


def closed_share(frames: list[list[np.ndarray]], paths: list[Path], silent: np.ndarray,
                 encode: bool) -> float:
    """Share of the silent frames dlib reads closed, over one photo's videos (raw frames or an H.264 round trip)."""
    box = (detect_faces(frames[0][0]) or detect_faces(frames[0][0], upsample=1))[0]
    pts = []
    for video, path in zip(frames, paths, strict=True):
        if encode:
            with tempfile.TemporaryDirectory() as d:
                out = Path(d) / "v.mp4"
                LipSync.save(out, video, path)
                video = list(iter_frames(out, 25))[:len(video)]
        pts.append(np.stack([landmarks(f, box) for f in video]).astype(np.float64)[:, 48:68])
    mouth = np.concatenate(pts)
    rest = float(np.median(mouth_width(mouth[silent])))
    return float((inner_opening(mouth[silent]) / rest < CLOSED).mean())


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True, help="json to write")
    args = p.parse_args()
    model = LipSync.from_pretrained()
    said = recordings()
    paths = [path for path, _ in said]
    waves = [load_audio(path, model.sample_rate) for path in paths]
    refs = [reference(w, model.sample_rate, text, model.frame_count(len(w))) for w, (_, text) in zip(waves, said,
                                                                                                      strict=True)]
    silent = np.concatenate([r[2] for r in refs])
    out: dict[str, dict[str, float]] = {}
    for pause in (False, True):
        m = dataclasses.replace(model, pause=pause)
        shapes = np.concatenate([np.stack(list(m.stream_shapes(w)))[:len(r[0])] for w, r in zip(waves, refs,
                                                                                               strict=True)])
        row = {"shape_open": float((opening_of(shapes[silent]) >= SHAPE_CLOSED).mean()),
               "rest_exact": float((np.abs(shapes[silent]).max(axis=(1, 2)) == 0).mean())}
        for name, img in photos().items():
            for still in (True, False):
                videos = [list(m.stream(w, img, still=still))[:len(r[0])] for w, r in zip(waves, refs, strict=True)]
                for encode in ((False, True) if still else (True,)):
                    key = f"{name}/{'still' if still else 'default'}_{'h264' if encode else 'raw'}"
                    row[key] = closed_share(videos, paths, silent, encode)
                    print(pause, key, round(row[key], 3), file=sys.stderr, flush=True)
        out["gate_on" if pause else "gate_off"] = row
    record = {"pause_frames": int(silent.sum()), "closed_below": CLOSED, "shape_closed_below": SHAPE_CLOSED,
              "recordings": [str(p) for p in paths], **out}
    Path(args.out).write_text(json.dumps(record, indent=1) + "\n")
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
