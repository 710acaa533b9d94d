"""A face that talks (issue 25): the default command on real photos and recorded human speech, read back with dlib.

Photos (held out, never training data): scikit-image's astronaut (a broad grin with teeth), matplotlib's Grace
Hopper (a closed, slightly smiling mouth, glasses) and the woman of Debian opencv-doc's `html/12.jpg` (the
"Source" panel of an OpenCV tutorial figure, cropped: a closed neutral mouth, her neck and collar in view, so the
chin moves over a neck; a bearded face was tried first, but dlib misreads the lips under a beard). Speech: Debian
pocketsphinx-testdata's LibriVox sentences and spoken card names, with their transcripts. Each photo speaks every
recording through `LipSync.stream` with its defaults (what `lipglance generate` does); the video is written as
H.264 with the recording as its sound, decoded, and dlib's 68 points read on every frame (the face box found
once per photo).

Measured per photo (face width fw = |p0 - p16|, median over the clip; rest mouth width = median |p48 - p54| on
silence frames):
- chin_drop: 95th minus 5th percentile of |p8 - p33| (chin to the base of the nose), in face widths;
- chin_corr: correlation of that chin distance with the inner-lip opening |p62 - p66|;
- opening_p95: inner opening over speech frames, 95th percentile, in rest mouth widths;
- opening_r: correlation of the inner opening with the transcript path's opening (the words force-aligned to the
  recording, lipglance.inference.speech.transcript: the project's own phone timings);
- pbm_share: the mean opening on p/b/m frames above the silence opening, as a share of the speech opening range
  (95th percentile of speech frames minus the silence opening);
- silence_closed: share of silence frames (REST_MARGIN from any phone) that dlib reads closed (< CLOSED).

    .venv/bin/python benchmarks/bench_face_motion.py --out docs/face_motion [--videos DIR] [-- generate options]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

from lipglance.face import detect_faces, landmarks
from lipglance.inference.model.lipsync import LipSync
from lipglance.inference.speech.transcript import LEAD, aligned_phones, transcript_shapes
from lipglance.io.audio import load_audio
from lipglance.io.decode import iter_frames
from lipglance.shape import REST_MARGIN, frame_classes, inner_opening, mouth_width, opening_of, visual_times

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from figures import label  # noqa: E402

DATA = Path("/usr/share/pocketsphinx/test/data")  # Debian pocketsphinx-testdata
NEUTRAL = Path("/usr/share/doc/opencv-doc/opencv4/html/12.jpg")  # Debian opencv-doc; its first panel
CLOSED = 0.04  # rest mouth widths: a dlib inner opening below this reads as closed lips
STRIP_OPEN = 3  # most open frames shown per photo in the strip


def photos() -> dict[str, np.ndarray]:
    import matplotlib.cbook
    import skimage.data

    out = {"astronaut": skimage.data.astronaut()}
    hopper = cv2.imread(str(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)))
    out["hopper"] = cv2.cvtColor(np.asarray(hopper), cv2.COLOR_BGR2RGB)
    if not NEUTRAL.is_file():
        raise SystemExit(f"{NEUTRAL} is missing: apt-get install opencv-doc")
    panel = np.asarray(cv2.imread(str(NEUTRAL)))[20:468, :510]  # without the black border and the caption
    out["neutral"] = cv2.cvtColor(panel, cv2.COLOR_BGR2RGB)
    return out


def recordings() -> list[tuple[Path, str]]:
    """(wav, transcript) of the LibriVox sentences and the card names."""
    if not DATA.is_dir():
        raise SystemExit(f"{DATA} is missing: apt-get install pocketsphinx-testdata")
    out = []
    for folder, listing in (("librivox", "transcription"), ("cards", "cards.transcription")):
        for line in (DATA / folder / listing).read_text().splitlines():
            words, _, name = line.rpartition("(")
            text = words.replace("<s>", "").replace("</s>", "").strip()
            if text:
                out.append((DATA / folder / f"{name.strip(') ')}.wav", text))
    return out


def reference(wave: np.ndarray, rate: int, text: str, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(transcript path's opening [n], viseme classes [n], silence frames [n] bool) of one recording."""
    phones = aligned_phones(wave, rate, text)
    item = {"meta": {"lead": LEAD, "phones": [[p.canon, p.start, p.end] for p in phones]}}
    t = visual_times(item, n)
    speech = [(p.start, p.end) for p in phones if p.canon != "sil"]
    silent = np.ones(n, bool)
    for start, end in speech:
        silent &= (t < start - REST_MARGIN) | (t > end + REST_MARGIN)
    return opening_of(transcript_shapes(phones, n, LEAD)), frame_classes(item, n), silent


def measure(pts: np.ndarray, ref: np.ndarray, classes: np.ndarray, silent: np.ndarray) -> dict[str, float]:
    """The numbers of the module doc from dlib's points [T, 68, 2] of one photo's videos (concatenated)."""
    fw = float(np.median(np.linalg.norm(pts[:, 0] - pts[:, 16], axis=-1)))
    rest_w = float(np.median(mouth_width(pts[silent, 48:68])))
    chin = np.linalg.norm(pts[:, 8] - pts[:, 33], axis=-1) / fw
    opening = inner_opening(pts[:, 48:68]) / rest_w
    speech = ~silent
    rest, top = float(np.median(opening[silent])), float(np.percentile(opening[speech], 95))
    pbm = classes == "bilabial"
    return {"chin_drop": float(np.percentile(chin, 95) - np.percentile(chin, 5)),
            "chin_corr": float(np.corrcoef(chin, opening)[0, 1]),
            "opening_p95": top, "opening_r": float(np.corrcoef(opening, ref)[0, 1]),
            "pbm_share": float((opening[pbm].mean() - rest) / max(top - rest, 1e-6)),
            "silence_closed": float((opening[silent] < CLOSED).mean()),
            "frames": int(len(pts)), "speech_frames": int(speech.sum()), "pbm_frames": int(pbm.sum()),
            "face_width_px": fw}


def strip_frames(ref: np.ndarray, classes: np.ndarray) -> list[int]:
    """A closed (p/b/m, else the least open speech) frame, then the STRIP_OPEN most open frames of the reference,
    at least 5 frames apart: the same frames in every run, so strips compare before and after."""
    pbm = np.flatnonzero(classes == "bilabial")
    picks = [int(pbm[len(pbm) // 2]) if len(pbm) else int(np.argmin(ref))]
    for k in np.argsort(-ref):
        if len(picks) > STRIP_OPEN:
            break
        if all(abs(int(k) - p) >= 5 for p in picks[1:]):
            picks.append(int(k))
    return picks


def lower_face(frame: np.ndarray, pts: np.ndarray, size: int = 160) -> np.ndarray:
    """The lower face of a frame (nose to below the chin, jaw to jaw), resized to `size` square."""
    fw = float(np.linalg.norm(pts[0] - pts[16]))
    cx, cy = float(pts[33, 0]), float(pts[33, 1] + 0.35 * fw)
    half = 0.6 * fw
    x0, y0 = int(max(0, cx - half)), int(max(0, cy - half))
    crop = frame[y0:int(cy + half), x0:int(cx + half)]
    return cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--weights", default=None, help="checkpoint (default: the bundled model)")
    p.add_argument("--out", required=True, help="output prefix: .json and _strip.png")
    p.add_argument("--videos", default=None, help="also keep each photo's first video here (mp4)")
    p.add_argument("--recordings", type=int, default=0, help="use the first N recordings (0: all)")
    args = p.parse_args()
    model = LipSync.from_pretrained(args.weights)
    said = recordings()[: args.recordings or None]
    waves = [load_audio(path, model.sample_rate) for path, _ in said]
    refs = [reference(w, model.sample_rate, text, model.frame_count(len(w))) for w, (_, text) in zip(waves, said,
                                                                                                      strict=True)]
    results: dict[str, dict[str, float]] = {}
    rows, names = [], []
    for name, img in photos().items():
        all_pts, tiles = [], []
        box = None
        for k, ((path, _), wave, (ref, classes, _)) in enumerate(zip(said, waves, refs, strict=True)):
            frames = list(model.stream(wave, img))[: len(ref)]
            with tempfile.TemporaryDirectory() as d:
                video = Path(args.videos) / f"{name}.mp4" if args.videos and k == 0 else Path(d) / "v.mp4"
                video.parent.mkdir(parents=True, exist_ok=True)
                LipSync.save(video, frames, path)
                decoded = list(iter_frames(video, model.fps))[: len(ref)]
            box = box or (detect_faces(decoded[0]) or detect_faces(decoded[0], upsample=1))[0]
            pts = np.stack([landmarks(f, box) for f in decoded]).astype(np.float64)
            all_pts.append(pts)
            if k == 0:
                tiles = [lower_face(decoded[i], pts[0]) for i in strip_frames(ref, classes)]
        results[name] = measure(np.concatenate(all_pts), *(np.concatenate(r) for r in zip(*refs, strict=True)))
        print(name, {k: round(v, 3) for k, v in results[name].items()}, file=sys.stderr)
        rows.append(np.concatenate(tiles, axis=1))
        names.append(name)
    keys = ("chin_drop", "chin_corr", "opening_p95", "opening_r", "pbm_share", "silence_closed")
    mean = {k: float(np.mean([r[k] for r in results.values()])) for k in keys}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    record = {"recordings": [str(p) for p, _ in said], "closed_below": CLOSED, "weights": args.weights or "bundled",
              "mean": mean, "photos": results}
    out.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n")
    header = np.full((22, rows[0].shape[1], 3), 255, np.uint8)
    for k, head in enumerate(["p/b/m (closed)", *["most open"] * STRIP_OPEN]):
        cv2.putText(header, head, (160 * k + 4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    sheet = label([header, *rows], ["", *names], width=110)
    cv2.imwrite(str(out.parent / f"{out.name}_strip.png"), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    print(json.dumps(mean, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
