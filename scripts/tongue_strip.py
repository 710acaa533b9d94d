"""Where the tongue track fires on recorded speech, the frames without and with the raised tip it draws (issue 25).

    .venv/bin/python scripts/tongue_strip.py --weights W --out docs/tongue_strip.png

The recordings are the 11 transcribed ones of Debian's pocketsphinx-testdata (as
benchmarks/bench_sync_recorded.py). For each held-out photo (astronaut, Grace Hopper), the frames whose tongue cue
from the sound alone (`LipSync.stream_tongues`) is strongest on open lips are rendered by the shape renderer from
the model's own shapes twice: without a tongue cue (above: the renderer before) and with the track's cue (below).
Under each tile: the recording, the frame, the cue, and the phone the transcript path aligns there (l raises the
tip; another phone there is a false firing).
Nothing is random: two runs give the same picture.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

from lipglance.inference.model.lipsync import LipSync
from lipglance.inference.render.shape import ShapeWarp
from lipglance.inference.render.tongue import Tongue
from lipglance.inference.speech.transcript import LEAD, aligned_phones
from lipglance.samples import sample_photos
from lipglance.shape import opening_of

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
from bench_sync_recorded import recordings  # noqa: E402

TILE = (240, 144)  # px of each enlarged mouth
PICKS = 6  # frames shown per photo


def phone_at(phones: list, frame: int) -> str:
    t = (frame + 0.5) / 25 + LEAD
    return next((p.canon for p in phones if p.start <= t < p.end), "")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--weights", required=True, help="a checkpoint with a fitted tongue track")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    model = LipSync.from_pretrained(args.weights)
    candidates = []  # (cue, recording, frame, shape, phone)
    for name, wave, text in recordings():
        shapes = np.stack(list(model.stream_shapes(wave)))
        cues = [c.raised for c in model.stream_tongues(wave)]
        phones = aligned_phones(wave, model.sample_rate, text)
        opening = opening_of(shapes)
        for i, cue in enumerate(cues):
            if cue > 0 and opening[i] > 0.08:
                candidates.append((cue, name, i, shapes[i], phone_at(phones, i)))
    picked = sorted(candidates, key=lambda c: -c[0])[:PICKS]
    rows = []
    for path in sample_photos():
        image = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        warp = model.prepare_warp(image, kind=ShapeWarp)
        assert isinstance(warp, ShapeWarp)
        cx, cy = warp.points.mean(0)
        half = 0.9 * warp.width
        y0, y1, x0, x1 = int(cy - 0.6 * half), int(cy + 0.6 * half), int(cx - half), int(cx + half)
        for with_tip in (False, True):
            tiles = []
            for cue, name, i, shape, phone in picked:
                tongue = Tongue(raised=cue) if with_tip else None
                frame = warp.frame(shape, expression=warp.grin, tongue=tongue)
                crop = cv2.resize(frame[y0:y1, x0:x1], TILE, interpolation=cv2.INTER_CUBIC)
                label = f"{name[-6:]} f{i} cue {cue:.2f} '{phone}'" if with_tip else f"{path.stem[:9]}: no tip"
                cv2.putText(crop, label, (6, TILE[1] - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 0), 1,
                            cv2.LINE_AA)
                tiles.append(crop)
            rows.append(np.concatenate(tiles, 1))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(args.out, cv2.cvtColor(np.concatenate(rows, 0), cv2.COLOR_RGB2BGR))
    print(f"wrote {args.out}: {len(picked)} frames, phones {[c[4] for c in picked]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
