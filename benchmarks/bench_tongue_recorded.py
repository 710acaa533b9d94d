"""The tongue track on recorded human speech: does the sound alone place the raised tip of l (issue 25, item 3)?

On the 11 transcribed recordings of Debian's pocketsphinx-testdata (as benchmarks/bench_sync_recorded.py), the
reference is the transcript path: the known words force-aligned to the speech, whose l phones give each frame's
raised-tip cue (lipglance.inference.render.tongue.cues >= 0.5, as the transcript path draws it). Scored per frame:
ROC AUC and average precision of the track's logits against the share of l frames (drawing at random), and at the
model's own threshold (set by `lipglance seal --tongue` on held-out training voices) the precision, recall and
share of frames it fires on; also the precision counting a firing frame next to an l frame (one frame early or late
shows the tip in the same gesture) and one on an l or an alveolar consonant (t, d, n, s, z: the tip raised there
too), and the phones it fires on.

    .venv/bin/python benchmarks/bench_tongue_recorded.py --weights W --out docs/tongue_recorded.json
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

import numpy as np
import torch

from lipglance.audio import log_mel
from lipglance.inference.model.lipsync import LipSync
from lipglance.inference.render.tongue import cues
from lipglance.inference.speech.transcript import LEAD, aligned_phones
from lipglance.tongue_cli import detection_scores, within_a_frame

sys.path.insert(0, str(Path(__file__).parent))
from bench_sync_recorded import recordings  # noqa: E402

ALVEOLAR = ("l", "t", "d", "n", "s", "z")


def phone_at(phones: list, n: int) -> np.ndarray:
    """The phone whose span holds each frame's visual time (the frame's centre plus the transcript path's lead)."""
    t = (np.arange(n) + 0.5) / 25 + LEAD
    out = np.full(n, "", dtype=object)
    for p in phones:
        out[(t >= p.start) & (t < p.end)] = p.canon
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--weights", default=None, help="a checkpoint with a fitted tongue track (default: the bundled)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.set_num_threads(1)
    model = LipSync.from_pretrained(args.weights)
    if not model.tongue_frames():
        raise SystemExit(f"{args.weights or 'the bundled model'}: no fitted tongue track (lipglance seal --tongue)")
    head = model.generator.shape_head
    assert head is not None and head.tongue is not None
    threshold = float(head.tongue.threshold)
    logits, truth, phones = [], [], []
    for _, wave, text in recordings():
        n = model.frame_count(len(wave))
        aligned = aligned_phones(wave, model.sample_rate, text)
        mel = log_mel(model.heard(wave), model.config.audio, n).numpy()
        logits.append(model.tongue_logits_of_mel(mel)[:n])
        truth.append(np.array([c.raised >= 0.5 for c in cues(aligned, n, model.fps, LEAD)], np.float32))
        phones.append(phone_at(aligned, n))
    lg, y, ph = np.concatenate(logits), np.concatenate(truth), np.concatenate(phones)
    fired, near = lg > threshold, within_a_frame(truth) > 0
    result = {"weights": args.weights or "bundled", "recordings": len(logits), "threshold": round(threshold, 4),
              **detection_scores(lg, y, near.astype(np.float32), threshold),
              "precision_l_or_alveolar": round(float((near | np.isin(ph, ALVEOLAR))[fired].mean())
                                               if fired.any() else 0.0, 4),
              "fired_on": dict(collections.Counter(str(p) or "(pause)" for p in ph[fired]).most_common(12))}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
