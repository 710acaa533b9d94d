"""Does the mouth move like the speech? Shape sync per viseme class (beyond the paper).

On a synthetic split (held-out identities and voice) three sources of mouth motion are compared
against the corpus's ground-truth landmarks, per frame (lipglance.shape: displacements from the
rest mouth, in rest mouth widths):

- `generator`: the shape head on the generator's audio encoder (what drives the shape renderer);
- `loudness`: a plain loudness envelope, the simplest baseline (opening only, width fixed);
- `truth`: the ground truth itself (the ceiling).

Measured: the opening's correlation with the truth over all frames; the bilabial closure rate
(share of frames in the sealed part of a p/b/m whose opening is below `CLOSED`); the mean
width on rounded vowels (and w) over that on spread vowels; per-class means. The loudness
baseline's two numbers (floor and gain) are fitted on the validation split.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lipglance.data.cache import Cache
from lipglance.motion import mouth_features
from lipglance.shape import CLOSED, WIDE, ShapeBasis, clip_shapes, frame_classes, opening_of, opening_shape, width_of

CLASSES = ("bilabial", "rounded", "spread", "other")


def loudness_db(mel: np.ndarray, mels_per_frame: int = 4) -> np.ndarray:
    """Per video frame, the power (dB) of a natural-log mel spectrogram [4T, n_mels], relative to the loudest."""
    power = np.exp(np.asarray(mel, np.float64)).sum(1)
    n = len(power) // mels_per_frame
    db = 10 * np.log10(power[:n * mels_per_frame].reshape(n, mels_per_frame).mean(1) + 1e-12)
    return db - db.max() if n else db


@dataclass(frozen=True)
class LoudnessBaseline:
    """opening = gain * max(0, dB - floor), dB relative to the utterance's loudest frame; width stays at rest."""

    floor: float
    gain: float

    @classmethod
    def fit(cls, dbs: list[np.ndarray], openings: list[np.ndarray]) -> LoudnessBaseline:
        """The floor (grid, 1 dB) and gain (least squares) that best predict the true openings."""
        db, y = np.concatenate(dbs), np.concatenate(openings)
        best = (np.inf, -40.0, 0.0)
        for floor in np.arange(-80.0, -5.0, 1.0):
            x = np.clip(db - floor, 0, None)
            gain = float(x @ y / max(x @ x, 1e-12))
            err = float(np.square(gain * x - y).sum())
            best = min(best, (err, float(floor), gain))
        return cls(best[1], best[2])

    def shapes(self, db: np.ndarray) -> np.ndarray:
        """Shapes [T, 20, 2] that only open the mouth (lipglance.shape.opening_shape)."""
        return opening_shape(self.gain * np.clip(db - self.floor, 0, None))


def _clips(cache: Cache, split: str, limit: int) -> list[dict[str, Any]]:
    items = [it for it in cache.split(split) if it.get("meta", {}).get("phones") and "crop_side" in it["meta"]]
    if not items:
        raise ValueError(f"{cache.root}: split '{split}' has no clips with phone timings and crop sides "
                         "(a corpus made by this version of `lipglance synth`)")
    return items[::max(1, len(items) // limit)] if limit else items


def fit_loudness(cache: Cache, split: str = "val", limit: int = 200) -> LoudnessBaseline:
    items = _clips(cache, split, limit)
    mpf = cache.info["params"]["audio"]["mels_per_frame"]
    dbs = [loudness_db(np.asarray(cache.mel(it)), mpf) for it in items]
    opens = [opening_of(clip_shapes(it, np.asarray(cache.landmarks(it))))[:len(d)] for it, d in zip(items, dbs,
                                                                                                       strict=True)]
    return LoudnessBaseline.fit(dbs, opens)


def summarise(shapes: np.ndarray, truth: np.ndarray, classes: np.ndarray) -> dict[str, Any]:
    """The sync numbers of one source's shapes [N, 20, 2] against the truth's, frames labelled by class."""
    o, ot = opening_of(shapes), opening_of(truth)
    w = width_of(shapes)
    r = float(np.corrcoef(o, ot)[0, 1]) if o.std() > 1e-9 else 0.0
    per = {}
    for c in CLASSES:
        m = classes == (c if c != "other" else "")
        per[c] = {"frames": int(m.sum()), "opening": float(o[m].mean()), "width": float(w[m].mean()),
                  "closed": float((o[m] < CLOSED).mean())}
    wide = ot > WIDE
    return {"opening_r": r, "opening_mae": float(np.abs(o - ot).mean()),
            "bilabial_closure": per["bilabial"]["closed"], "false_closure": float((o[wide] < CLOSED).mean()),
            "width_ratio": per["rounded"]["width"] / per["spread"]["width"], "classes": per}


def sync_report(sources: dict[str, Any], cache: Cache, split: str = "test", limit: int = 0) -> dict[str, Any]:
    """`sources`: name -> callable(item, mel [4T, n_mels]) -> shapes [T, 20, 2]. Adds `truth`."""
    items = _clips(cache, split, limit)
    truth, classes = [], []
    preds: dict[str, list[np.ndarray]] = {k: [] for k in sources}
    for it in items:
        t = clip_shapes(it, np.asarray(cache.landmarks(it)))
        mel = np.asarray(cache.mel(it))
        truth.append(t)
        classes.append(frame_classes(it, len(t)))
        for name, fn in sources.items():
            preds[name].append(np.asarray(fn(it, mel))[:len(t)])
    all_truth, all_classes = np.concatenate(truth), np.concatenate(classes)
    out = {name: summarise(np.concatenate(p), all_truth, all_classes) for name, p in preds.items()}
    out["truth"] = summarise(all_truth, all_truth, all_classes)
    return {"split": split, "clips": len(items), "frames": int(len(all_truth)), "closed_below": CLOSED,
            "sources": out}


@dataclass(frozen=True)
class ShapeProbe:
    """The alternative to a shape head: a ridge regression from a lip crop's grey mouth region (as
    lipglance.motion's opening probe reads it) to the shape's PCA coefficients, fitted on the real crops of a
    training split and read on the generator's frames of its proxy face."""

    weights: np.ndarray  # [features + 1, K]
    basis: ShapeBasis

    @classmethod
    def fit(cls, cache: Cache, split: str = "train", clips: int = 500, k: int = 8, ridge: float = 10.0) -> ShapeProbe:
        items = cache.split(split)[::max(1, len(cache.split(split)) // clips)]
        shapes = [clip_shapes(it, np.asarray(cache.landmarks(it))) for it in items]
        basis = ShapeBasis.fit(np.concatenate(shapes), k)
        x = np.concatenate([mouth_features(np.asarray(cache.crops(it))) for it in items]).astype(np.float64)
        x = np.concatenate([x, np.ones((len(x), 1))], axis=1)
        y = basis.encode(np.concatenate(shapes))
        reg = ridge * np.eye(x.shape[1])
        reg[-1, -1] = 0
        return cls(np.linalg.solve(x.T @ x + reg, x.T @ y), basis)

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        x = mouth_features(np.asarray(frames)).astype(np.float64)
        return self.basis.decode(np.concatenate([x, np.ones((len(x), 1))], axis=1) @ self.weights)


def model_sources(model: Any, cache: Cache, split_fit: str = "val", shape_probe: bool = False) -> dict[str, Any]:
    """The sources a model offers: its shape head, its motion probe (the warp renderer's opening) and, with
    `shape_probe`, a `ShapeProbe` on its proxy frames; and the loudness baseline fitted on `split_fit`."""
    mpf = cache.info["params"]["audio"]["mels_per_frame"]
    base = fit_loudness(cache, split_fit)
    sources: dict[str, Any] = {}
    if model.generator.shape_head is not None:
        sources["generator"] = lambda it, mel: model.shapes_of_mel(mel)
    if model.motion is not None:
        sources["probe"] = lambda it, mel: opening_shape(model.openings_of_mel(mel))
        if shape_probe:
            probe = ShapeProbe.fit(cache)
            sources["shape_probe"] = lambda it, mel: probe(model.proxy_frames_of_mel(mel))
    sources["loudness"] = lambda it, mel: base.shapes(loudness_db(mel, mpf))
    sources["_loudness_fit"] = base
    return sources


def markdown(report: dict[str, Any], title: str) -> str:
    names = {"generator": "generator (shape head)", "probe": "motion probe (previous warp renderer)",
             "shape_probe": "shape probe on generated frames",
             "loudness": "loudness envelope", "truth": "ground truth"}
    lines = [f"{title}: {report['clips']} clips, {report['frames']} frames; closed = opening < "
             f"{report['closed_below']} mouth widths", "",
             "| source | opening r | opening MAE | p/b/m closed | closed where open | rounded/spread width | "
             "opening p/b/m | opening rounded | opening spread |", "|---|---|---|---|---|---|---|---|---|"]
    for name, s in report["sources"].items():
        c = s["classes"]
        lines.append(f"| {names.get(name, name)} | {s['opening_r']:.3f} | {s['opening_mae']:.3f} | "
                     f"{s['bilabial_closure']:.0%} | {s['false_closure']:.1%} | {s['width_ratio']:.3f} | "
                     f"{c['bilabial']['opening']:.3f} | {c['rounded']['opening']:.3f} | {c['spread']['opening']:.3f} |")
    return "\n".join(lines)


def run_sync(model: Any, cache: Cache, split: str, limit: int, out: Path, title: str,
             shape_probe: bool = False) -> dict[str, Any]:
    """`lipglance evaluate --sync`: the report as json and Markdown at `out` (.json, .md); returns it."""
    sources = model_sources(model, cache, shape_probe=shape_probe)
    base = sources.pop("_loudness_fit")
    report = sync_report(sources, cache, split, limit)
    report["loudness_fit"] = {"floor_db": base.floor, "gain": base.gain, "split": "val"}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(report, indent=1) + "\n")
    table = markdown(report, title)
    out.with_suffix(".md").write_text(table + "\n")
    return report
