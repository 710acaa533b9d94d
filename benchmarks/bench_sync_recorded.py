"""Mouth sync on recorded human speech (issue: real voices): the model from audio alone vs its own words.

Recorded speech: Debian `pocketsphinx-testdata` (`apt-get install pocketsphinx-testdata`): five read LibriVox
sentences (one woman), five card-game commands and "go forward ten meters" (11 utterances, 16 kHz). No video
of these speakers exists, so the reference is the transcript path: the known words force-aligned to the speech
(lipglance.inference.speech.transcript, what `lipglance generate --transcript` renders), its phones giving the shapes
and the viseme classes (p/b/m seal, rounded and spread vowels, silence) of every frame. Three drivers of the same
shape renderer are compared against it, per frame (lipglance.shape units, rest mouth widths):

- `model`: the model from the sound alone (LipSync.stream_shapes: what the default command renders);
- `transcript`: the force-aligned words themselves (the reference: r = 1 at shape level);
- `loudness`: a loudness envelope (its floor and gain fitted on the synthetic corpus's validation split, read
  from a `lipglance evaluate --sync` json); `loudness_here`: the same refitted on these recordings (the
  strongest loudness envelope there is for them).

Measured: opening r against the reference; `bilabial`, the mean opening on p/b/m frames as a share of the
speech opening range (5th percentile of all frames to 95th percentile of speech frames; lower is better);
p/b/m frames closed (opening < lipglance.shape.CLOSED, dlib: < CLOSED_DLIB); false closure (closed where the
reference is clearly open); rounded/spread width ratio (the reference's beside it); silence closed (frames
showing a pause, lipglance.shape.rest_frames). `--photos` also renders every driver on real photos through the
default shape renderer (`ShapeWarp.frames`: a grin relaxes while the photo speaks, as in the default command), writes
H.264, decodes it and reads dlib's 68 points back (as bench_sync_photos.py does).

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/bench_sync_recorded.py --sync-json docs/sync.json \\
        --out docs/sync_recorded [--weights W] [--photos]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from lipglance.audio import log_mel
from lipglance.eval.sync import LoudnessBaseline, loudness_db
from lipglance.inference.model.lipsync import LipSync
from lipglance.inference.speech.transcript import LEAD, aligned_phones, transcript_shapes
from lipglance.io.audio import load_audio
from lipglance.shape import CLOSED, WIDE, frame_classes, opening_of, rest_frames, width_of

DATA = Path("/usr/share/pocketsphinx/test/data")  # Debian pocketsphinx-testdata
EXTRA = {"goforward.raw": "go forward ten meters"}  # a recording whose words the package gives only in its tests
CLOSED_DLIB = 0.04  # dlib inner gap (rest widths) read as closed lips (bench_sync_photos.CLOSED)
DRIVERS = ("model", "transcript", "loudness", "loudness_here")
Labelled = tuple[dict[str, np.ndarray], dict[str, np.ndarray]]  # (driver -> shapes, frame labels) of a recording


def transcripts(path: Path, folder: Path) -> list[tuple[Path, str]]:
    """(audio file, words) of a Sphinx transcription file: `<s> words </s> (file id)` per line."""
    out = []
    for line in path.read_text().splitlines():
        if "(" not in line:
            continue
        words, fid = line.rsplit("(", 1)
        text = words.replace("<s>", " ").replace("</s>", " ").split()
        out.append((folder / f"{fid.strip(' )')}.wav", " ".join(text)))
    return out


def recordings(root: Path = DATA) -> list[tuple[str, np.ndarray, str]]:
    """(name, float32 samples at 16 kHz, words) of every transcribed recording of pocketsphinx-testdata."""
    if not root.is_dir():
        raise SystemExit(f"{root} is missing: apt-get install pocketsphinx-testdata")
    files = transcripts(root / "librivox" / "transcription", root / "librivox")
    files += transcripts(root / "cards" / "cards.transcription", root / "cards")
    out = [(f.stem, load_audio(f, 16000), text) for f, text in files]
    for raw, text in EXTRA.items():
        out.append((Path(raw).stem, np.fromfile(root / raw, "<i2").astype(np.float32) / 32768.0, text))
    return out


def speech_frames(item: dict[str, Any], n: int) -> np.ndarray:
    """Frames whose visual time lies inside a spoken (non-silence) phone."""
    t = (np.arange(n) + 0.5) / 25 + float(item["meta"]["lead"])
    out = np.zeros(n, bool)
    for canon, start, end in item["meta"]["phones"]:
        if canon != "sil":
            out |= (t >= start) & (t < end)
    return out


def scores(o: np.ndarray, w: np.ndarray, ref: np.ndarray, labels: dict[str, np.ndarray],
           closed: float) -> dict[str, float]:
    """The sync numbers of one driver: its openings `o` and widths `w` per frame against the reference opening."""
    cls, speech, rest = labels["classes"], labels["speech"], labels["rest"]
    lo, hi = np.percentile(o, 5), np.percentile(o[speech], 95)
    bil = cls == "bilabial"
    return {"opening_r": float(np.corrcoef(o, ref)[0, 1]) if o.std() > 1e-9 else 0.0,
            "bilabial": float((o[bil].mean() - lo) / max(hi - lo, 1e-9)),
            "bilabial_closure": float((o[bil] < closed).mean()),
            "false_closure": float((o[ref > WIDE] < closed).mean()),
            "width_ratio": float(w[cls == "rounded"].mean() / w[cls == "spread"].mean()),
            "silence_closed": float((o[rest] < closed).mean())}


def drive(model: LipSync, wave: np.ndarray, text: str, base: LoudnessBaseline) -> Labelled:
    """(driver -> shapes [n, 20, 2] without loudness_here, frame labels) of one recording."""
    n = model.frame_count(len(wave))
    phones = aligned_phones(wave, model.sample_rate, text)
    item = {"meta": {"lead": LEAD, "phones": [[p.canon, p.start, p.end] for p in phones]}}
    db = loudness_db(log_mel(wave, model.config.audio, n).numpy(), model.config.audio.mels_per_frame)
    shapes = {"model": np.stack(list(model.stream_shapes(wave)))[:n], "transcript": transcript_shapes(phones, n, LEAD),
              "loudness": base.shapes(db)[:n], "db": db[:n]}
    rest = np.zeros(n, bool)
    rest[rest_frames(item, n)] = True
    labels = {"classes": frame_classes(item, n), "speech": speech_frames(item, n), "rest": rest}
    return shapes, labels


def concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def shape_level(per: list[Labelled]) -> dict[str, Any]:
    shapes, labels = concat([s for s, _ in per]), concat([lab for _, lab in per])
    ref = opening_of(shapes["transcript"])
    here = LoudnessBaseline.fit([s["db"] for s, _ in per], [opening_of(s["transcript"]) for s, _ in per])
    shapes["loudness_here"] = np.concatenate([here.shapes(s["db"]) for s, _ in per])
    out = {d: scores(opening_of(shapes[d]), width_of(shapes[d]), ref, labels, CLOSED) for d in DRIVERS}
    return {"drivers": out, "loudness_here_fit": {"floor_db": here.floor, "gain": here.gain},
            "frames": int(len(ref)), "bilabial_frames": int((labels["classes"] == "bilabial").sum()),
            "rounded_frames": int((labels["classes"] == "rounded").sum()),
            "spread_frames": int((labels["classes"] == "spread").sum()), "silence_frames": int(labels["rest"].sum())}


def photo_level(model: LipSync, waves: list[np.ndarray], per: list[Labelled], fit: dict[str, float],
                drivers: tuple[str, ...] = DRIVERS, names: tuple[str, ...] = (), raw: bool = False) -> dict[str, Any]:
    """Drivers rendered on real photos (`names`; all: empty) by the default shape renderer, H.264 round trip (`raw`:
    none, the rendered frames themselves), dlib read back."""
    from bench_sync_photos import dlib_read, photos

    from lipglance.face import detect_faces, landmarks
    from lipglance.inference.render.shape import ShapeWarp
    from lipglance.io.decode import iter_frames
    from lipglance.shape import mouth_width

    here = LoudnessBaseline(fit["floor_db"], fit["gain"])
    labels = concat([lab for _, lab in per])
    ref = np.concatenate([opening_of(s["transcript"]) for s, _ in per])
    out: dict[str, Any] = {}
    for name, img in photos().items():
        if names and name not in names:
            continue
        warp = model.prepare_warp(img, 0, ShapeWarp)
        assert isinstance(warp, ShapeWarp)
        box = (detect_faces(warp.image) or detect_faces(warp.image, upsample=1))[0]
        rest_width = float(mouth_width(landmarks(warp.frame(np.zeros((20, 2))), box)[48:68]))
        for d in drivers:
            opens, widths = [], []
            for wave, (s, _) in zip(waves, per, strict=True):
                shapes = here.shapes(s["db"]) if d == "loudness_here" else s[d]
                frames = list(warp.frames(shapes))  # grins relax
                if raw:
                    o, w = dlib_read(frames, box, rest_width)
                else:
                    with tempfile.TemporaryDirectory() as tmp:
                        path = Path(tmp) / "v.mp4"
                        LipSync.save(path, frames, wave, model.sample_rate)
                        o, w = dlib_read(list(iter_frames(path, 25)), box, rest_width)
                opens.append(o[:len(shapes)])
                widths.append(w[:len(shapes)])
            out[f"{name}/{d}"] = scores(np.concatenate(opens), np.concatenate(widths), ref, labels, CLOSED_DLIB)
            print(name, d, {k: round(v, 3) for k, v in out[f"{name}/{d}"].items()}, file=sys.stderr)
    return out


def table(rows: dict[str, dict[str, float]], ref_width: float) -> list[str]:
    lines = ["| driver | opening r | bilabial (share of range) | p/b/m closed | false closure | rounded/spread "
             f"width (reference {ref_width:.3f}) | silence closed |", "|---|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {k} | {v['opening_r']:.3f} | {v['bilabial']:.3f} | {v['bilabial_closure']:.0%} | "
              f"{v['false_closure']:.1%} | {v['width_ratio']:.3f} | {v['silence_closed']:.0%} |"
              for k, v in rows.items()]
    return lines


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--weights", default=None, help="generator checkpoint (default: the bundled model)")
    p.add_argument("--sync-json", default="docs/sync.json", help="lipglance evaluate --sync output (loudness fit)")
    p.add_argument("--out", required=True, help="output stem (.json, .md)")
    p.add_argument("--photos", action="store_true", help="also render on real photos and read dlib back")
    p.add_argument("--photo-drivers", default=",".join(DRIVERS), help="the drivers rendered on photos (comma list)")
    p.add_argument("--photo-names", default="", help="only these photos (comma list of astronaut, hopper, messi)")
    p.add_argument("--no-pause", action="store_true", help="the model without its pause gate (LipSync.pause False)")
    p.add_argument("--raw", action="store_true", help="read dlib on the rendered frames, without the H.264 round "
                   "trip (what the encoder and decoder change)")
    args = p.parse_args()
    t0 = time.time()
    model = LipSync.from_pretrained(args.weights)
    model.pause = not args.no_pause
    fit = json.loads(Path(args.sync_json).read_text())["loudness_fit"]
    recs = recordings()
    per = [drive(model, wave, text, LoudnessBaseline(fit["floor_db"], fit["gain"])) for _, wave, text in recs]
    res = shape_level(per)
    ref_width = res["drivers"]["transcript"]["width_ratio"]
    lines = [f"Shape level ({len(recs)} recordings, {res['frames']} frames, {res['bilabial_frames']} p/b/m):", "",
             *table(res["drivers"], ref_width)]
    if args.photos:
        names = tuple(filter(None, args.photo_names.split(",")))
        res["photos"] = photo_level(model, [w for _, w, _ in recs], per, res["loudness_here_fit"],
                                    tuple(args.photo_drivers.split(",")), names, args.raw)
        coded = "no encoding" if args.raw else "H.264"
        lines += ["", f"Real photos, default shape renderer, {coded}, dlib 68 read back:", "",
                  *table(res["photos"], ref_width)]
    options = [f"--sync-json {args.sync_json}", f"--out {args.out}",
               *([f"--weights {args.weights}"] * bool(args.weights)), *(["--photos"] * args.photos),
               *([f"--photo-drivers {args.photo_drivers}"] * (args.photo_drivers != ",".join(DRIVERS))),
               *([f"--photo-names {args.photo_names}"] * bool(args.photo_names)), *(["--raw"] * args.raw),
               *(["--no-pause"] * args.no_pause)]
    record = {"recordings": [{"name": n, "seconds": round(len(w) / 16000, 2), "text": t} for n, w, t in recs],
              "weights": args.weights or "bundled", "loudness_fit": fit, "lead_s": LEAD, "closed_below": CLOSED,
              "closed_below_dlib": CLOSED_DLIB, "wall_s": round(time.time() - t0, 1),
              "command": " ".join([".venv/bin/python benchmarks/bench_sync_recorded.py", *options]), **res}
    save(Path(args.out), record, lines)
    return 0


def save(stem: Path, record: dict[str, Any], lines: list[str]) -> None:
    """STEM.json (the record), STEM.md (the tables and the command); the tables printed."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n")
    doc = ["# Mouth sync on recorded human speech", "", *lines, "", f"`{record['command']}`", ""]
    stem.with_suffix(".md").write_text("\n".join(doc))
    print("\n".join(lines))


if __name__ == "__main__":
    raise SystemExit(main())
