"""Rounded and spread vowels heard from the sound alone, on Grace Hopper without and with a round track (issue 26).

    .venv/bin/python scripts/round_track_strip.py --before lipglance/assets/default.safetensors \\
        --after runs/x/round.safetensors --out docs/round_track_strip.png

Speech: recorded human speech (Debian pocketsphinx-testdata: "... to do for them", "go forward ten meters") and the
held-out synthetic voice (flite slt: "who knew two blue moons", "you choose the cool food", "we see three green
trees"). Each recording's words are force-aligned (lipglance.inference.speech.transcript) only to find the frame in
the middle of each rounded (uw, ow, uh, w) and spread (iy, ey, ih) vowel; the shapes come from the sound alone
(`LipSync.stream_shapes`) of each model. Rows: the model `--before`, the model `--after`, and the transcript path's
shape of that frame (what the words themselves draw). Under each tile: the shape's mouth width and the width dlib's
68 points read on the frame (rest widths), as scripts/rounding_strip.py draws them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

from lipglance.inference.model.lipsync import LipSync
from lipglance.inference.render.shape import ShapeWarp
from lipglance.inference.speech.transcript import LEAD, aligned_phones, transcript_shapes
from lipglance.io.audio import load_audio
from lipglance.samples import sample_photos
from lipglance.synth.tts import synthesize

sys.path.insert(0, str(Path(__file__).resolve().parent))
from figures import label  # noqa: E402
from rounding_strip import tiles  # noqa: E402

DATA = Path("/usr/share/pocketsphinx/test/data")
RECORDED = ((DATA / "librivox/sense_and_sensibility_01_austen_64kb-0870.wav",
             "and mister john dashwood had then leisure to consider how much there might be prudently in his power "
             "to do for them"), (DATA / "goforward.raw", "go forward ten meters"))
SYNTHETIC = ("who knew two blue moons", "you choose the cool food", "we see three green trees")
VOICE = "flite-slt"
ROUNDED, SPREAD = ("uw", "ow", "uh", "w"), ("iy", "ey", "ih")
PER_SPEECH = 3  # vowels taken from each recording


def speech(rate: int) -> list[tuple[str, np.ndarray, str]]:
    """(name, mono wave at `rate`, words) of each recording."""
    out = []
    for path, words in RECORDED:
        if path.suffix == ".raw":  # 16-bit little-endian mono at 16 kHz
            wave = np.fromfile(path, "<i2").astype(np.float32) / 32768.0
            assert rate == 16000
        else:
            wave = load_audio(path, rate)
        out.append(("recorded", wave, words))
    for text in SYNTHETIC:
        out.append((VOICE, synthesize(text, VOICE).wave, text))
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--before", required=True, help="the model without a round track")
    p.add_argument("--after", required=True, help="the model with one")
    p.add_argument("--after-label", default="after (round track)", help="the middle row's label")
    p.add_argument("--out", required=True, help="the PNG to write")
    args = p.parse_args()
    before, after = LipSync.from_pretrained(args.before), LipSync.from_pretrained(args.after)
    shapes: dict[str, list[np.ndarray]] = {"before": [], "after": [], "transcript": []}
    names: list[str] = []
    for who, wave, words in speech(before.sample_rate):
        phones, n = aligned_phones(wave, before.sample_rate, words), before.frame_count(len(wave))
        heard = {"before": np.stack(list(before.stream_shapes(wave))),
                 "after": np.stack(list(after.stream_shapes(wave))), "transcript": transcript_shapes(phones, n, LEAD)}
        picked = [ph for ph in phones if ph.canon in ROUNDED][:2] + [ph for ph in phones if ph.canon in SPREAD][:1]
        for ph in picked[:PER_SPEECH]:
            k = min(n - 1, max(0, int(round(((ph.start + ph.end) / 2 - LEAD) * before.fps - 0.5))))
            for key, s in heard.items():
                shapes[key].append(s[k])
            names.append(f"{ph.canon} ({'rec' if who == 'recorded' else 'slt'})")
    photo = next(p for p in sample_photos() if p.stem == "grace_hopper")
    image = cv2.cvtColor(np.asarray(cv2.imread(str(photo))), cv2.COLOR_BGR2RGB)
    warp = before.prepare_warp(image, 0, ShapeWarp)
    assert isinstance(warp, ShapeWarp)
    rows = [tiles(warp, shapes[key], names) for key in shapes]
    sheet = label(rows, ["before (shipped head)", args.after_label, "transcript (the words)"], width=190)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(args.out, cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
