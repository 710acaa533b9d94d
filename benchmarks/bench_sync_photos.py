"""Mouth sync on real photos, measured with dlib on the decoded output videos (issue: visemes).

Held-out voice (flite slt, never used in training) speaks sentences full of rounded (who, two, blue,
moon), spread (see, three, green, cheese) and bilabial (bob, maybe, pop) words; each real photo
is animated by five sources of motion driving the SAME shape renderer: the generator's shape head,
a loudness envelope (its floor and gain fitted on the corpus's validation split, read from a
`lipglance evaluate --sync` json), the previous default (the motion probe's opening), the sentence's
transcript force-aligned to the speech (`lipglance generate --transcript`, lipglance.inference.speech.transcript),
and the phoneme-driven truth (lipglance.synth's articulation of the voice's own phone timings). Each video is
written as H.264, decoded, and dlib's 68 points are read on every frame (the face box found once).

Measured per source against the truth's opening: correlation of dlib's inner opening / rest width,
share of bilabial frames dlib sees closed (inner gap < 0.04 rest widths), mean dlib width on
rounded vowels over spread ones.

    .venv/bin/python benchmarks/bench_sync_photos.py --weights W --sync-json docs/sync.json --out docs/sync_photos

`--voice rhvoice-slt` has the same sentences spoken by the same held-out speaker through another engine (RHVoice;
its phones by forced alignment), a second unseen synthetic voice.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

from lipglance.audio import log_mel
from lipglance.eval.sync import LoudnessBaseline, loudness_db
from lipglance.face import detect_faces, landmarks
from lipglance.inference.model.lipsync import LipSync
from lipglance.inference.render.shape import ShapeWarp
from lipglance.inference.speech.transcript import transcript_shapes
from lipglance.io.decode import iter_frames
from lipglance.shape import frame_classes, inner_opening, mouth_width, opening_of, opening_shape
from lipglance.synth.tts import synthesize

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from figures import label  # noqa: E402

SENTENCES = ("who knew two blue moons", "we see three green trees", "bob may pop the bubble",
             "you choose the cool food", "please keep the cheese", "maybe buy more paper")
VOICE = "flite-slt"
LEAD = 0.06  # s: the visual lead the truth is given (the corpus draws 0-0.12 s)
CLOSED = 0.04  # dlib inner gap (rest widths) read as closed lips


def photos() -> dict[str, np.ndarray]:
    import matplotlib.cbook
    import skimage.data

    out = {"astronaut": skimage.data.astronaut()}
    hopper = np.asarray(cv2.imread(str(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))))
    out["hopper"] = cv2.cvtColor(hopper, cv2.COLOR_BGR2RGB)
    messi = Path("/usr/share/doc/opencv-doc/examples/data/messi5.jpg")  # Debian opencv-doc, when installed
    if messi.is_file():
        img = cv2.cvtColor(np.asarray(cv2.imread(str(messi))), cv2.COLOR_BGR2RGB)
        out["messi"] = cv2.resize(img, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)  # a small face: 2x
    return out


def truth_shapes(phones: list, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Phoneme-driven shapes [n, 20, 2] (lipglance.inference.speech.transcript) and viseme classes [n] of an
    utterance."""
    item = {"meta": {"lead": LEAD, "phones": [[p.canon, p.start, p.end] for p in phones]}}
    return transcript_shapes(phones, n, LEAD), frame_classes(item, n)


def dlib_read(frames: list[np.ndarray], box: object, rest_width: float) -> tuple[np.ndarray, np.ndarray]:
    """(inner opening, width) per frame, in rest mouth widths."""
    pts = np.stack([landmarks(f, box)[48:68] for f in frames])  # type: ignore[arg-type]
    return inner_opening(pts) / rest_width, mouth_width(pts) / rest_width


def strip_columns(classes: np.ndarray, per_class: int = 3) -> tuple[list[int], list[str]]:
    """Frames for the strip: the middle frame of the first `per_class` runs of each viseme class, and a pause."""
    cols, heads = [], []
    for cls, head in (("bilabial", "p/b/m"), ("rounded", "rounded"), ("spread", "spread")):
        idx = np.flatnonzero(classes == cls)
        runs = np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1) if len(idx) else []
        for run in runs[:per_class]:
            cols.append(int(run[len(run) // 2]))
            heads.append(head)
    return [0, *cols], ["pause", *heads]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--weights", required=True)
    p.add_argument("--sync-json", required=True, help="lipglance evaluate --sync output (the loudness fit)")
    p.add_argument("--out", required=True, help="output prefix (.json, .md, _strip.png)")
    p.add_argument("--sentences", type=int, default=len(SENTENCES), help="use the first N sentences")
    p.add_argument("--voice", default=VOICE, help=f"the voice that speaks them (default {VOICE}, held out of "
                   "training; rhvoice-slt is the same speaker by another engine, also held out)")
    p.add_argument("--sources", default="", help="only these sources (comma list of generator, loudness, "
                                                 "transcript, truth, probe; default all)")
    args = p.parse_args()
    keep = set(filter(None, args.sources.split(",")))
    model = LipSync.from_pretrained(args.weights)
    fit = json.loads(Path(args.sync_json).read_text())["loudness_fit"]
    base = LoudnessBaseline(fit["floor_db"], fit["gain"])
    speech = [synthesize(s, args.voice) for s in SENTENCES[:args.sentences]]
    results: dict[str, dict[str, float]] = {}
    strips: dict[str, list[np.ndarray]] = {}
    for name, img in photos().items():
        warp = model.prepare_warp(img, 0, ShapeWarp)
        assert isinstance(warp, ShapeWarp)
        box = (detect_faces(warp.image) or detect_faces(warp.image, upsample=1))[0]
        rest = warp.frame(np.zeros((20, 2)))
        rest_width = float(mouth_width(landmarks(rest, box)[48:68]))
        series: dict[str, list[np.ndarray]] = {}
        for text, sp in zip(SENTENCES, speech, strict=False):
            n = model.frame_count(len(sp.wave))
            truth, classes = truth_shapes(sp.phones, n)
            db = loudness_db(log_mel(sp.wave, model.config.audio, n).numpy(), model.config.audio.mels_per_frame)
            motions = {"generator": list(model.stream_shapes(sp.wave)), "loudness": list(base.shapes(db)),
                       "transcript": list(model.transcript_shapes(sp.wave, text)), "truth": list(truth)}
            if model.motion is not None:
                motions["probe"] = [opening_shape(r) for r in model.stream_openings(sp.wave)]
            motions = {k: v for k, v in motions.items() if not keep or k in keep}
            series.setdefault("reference", []).append(opening_of(truth))
            series.setdefault("classes", []).append(classes)
            for src, shapes in motions.items():
                frames = [warp.frame(s) for s in shapes[:n]]
                with tempfile.TemporaryDirectory() as d:
                    path = Path(d) / "v.mp4"
                    LipSync.save(path, frames, sp.wave, model.sample_rate)
                    decoded = list(iter_frames(path, 25))
                o, w = dlib_read(decoded, box, rest_width)
                series.setdefault(f"{src}_open", []).append(o)
                series.setdefault(f"{src}_width", []).append(w)
                strips.setdefault(f"{name} / {src}", []).extend(cv2.resize(warp.lips(f), (96, 96)) for f in decoded)
        truth_open, classes = np.concatenate(series["reference"]), np.concatenate(series["classes"])
        for src in ("generator", "loudness", "probe", "transcript", "truth"):
            if f"{src}_open" not in series:
                continue
            o, w = np.concatenate(series[f"{src}_open"]), np.concatenate(series[f"{src}_width"])
            results[f"{name}/{src}"] = {
                "opening_r": float(np.corrcoef(o, truth_open)[0, 1]),
                "bilabial_closure": float((o[classes == "bilabial"] < CLOSED).mean()),
                "width_ratio": float(w[classes == "rounded"].mean() / w[classes == "spread"].mean()),
                "frames": int(len(o)), "bilabial_frames": int((classes == "bilabial").sum())}
            print(name, src, {k: round(v, 3) for k, v in results[f"{name}/{src}"].items()}, file=sys.stderr)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    record = {"voice": args.voice, "sentences": SENTENCES[:args.sentences], "closed_below": CLOSED, "lead_s": LEAD,
              "weights": args.weights, "results": results}
    out.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n")
    lines = ["| photo / source | opening r (dlib vs truth) | p/b/m closed (dlib) | rounded/spread width (dlib) |",
             "|---|---|---|---|"]
    lines += [f"| {k} | {v['opening_r']:.3f} | {v['bilabial_closure']:.0%} | {v['width_ratio']:.3f} |"
              for k, v in results.items()]
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    cols, heads = strip_columns(classes)
    rows = [np.concatenate([frames[c] for c in cols], axis=1) for frames in strips.values()]
    header = np.full((22, rows[0].shape[1], 3), 255, np.uint8)
    for k, head in enumerate(heads):
        cv2.putText(header, head, (96 * k + 4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    sheet = label([header, *rows], ["frame's sound (truth)", *strips.keys()])
    cv2.imwrite(str(out.parent / f"{out.name}_strip.png"), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
