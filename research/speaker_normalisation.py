"""Does normalising the sound for the speaker at inference make the shape head round an unseen voice?

    .venv/bin/python research/speaker_normalisation.py --data data/wide_part \\
        --out docs/sync_ablations/speaker_normalisation

Three transforms of the raw log-mel, applied to everything the model reads (the shape head and the seal track)
without retraining, each at several strengths: `warp` (the log-mel stretched along frequency by a factor,
lipglance.data.dataset.warp_mel: a vocal-tract-length normalisation), `lifter` (only the first K cepstral
coefficients over the mel bands kept: the pitch harmonics smoothed away, the spectral envelope left), `cmvn` (each
band's utterance mean and spread mapped onto the training statistics the model normalises with,
x' = mean_train + (x - mean_utt) * (std_train / std_utt) ** k; k = 0 moves the mean only). Scored at shape level on
recorded speech (benchmarks/bench_sync_recorded.py's 11 recordings against their transcripts; reference
rounded/spread 0.805) and on the held-out flite slt voice (the test split of a `lipglance synth` corpus, 120 clips,
against its truth). Also written: the mean width per vowel on slt, by the bundled head and the truth (which
vowels the head fails to round). Writes OUT.json and OUT.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from bench_sync_recorded import drive, recordings, shape_level  # noqa: E402

from lipglance.audio import log_mel  # noqa: E402
from lipglance.data.cache import Cache  # noqa: E402
from lipglance.data.dataset import warp_mel  # noqa: E402
from lipglance.eval.sync import LoudnessBaseline, _clips, sync_report  # noqa: E402
from lipglance.inference.model.lipsync import LipSync  # noqa: E402
from lipglance.shape import clip_shapes, frame_classes, visual_times, width_of  # noqa: E402

STRENGTHS = {"warp": (0.82, 0.9, 1.1), "lifter": (40, 24, 14), "cmvn": (0.0, 0.5, 1.0)}
MelAt = Callable[[int, int], torch.Tensor]


class Normaliser:
    """The transform in force (none at first); `wrap` applies it to a `mel_at(start, count)` reader."""

    def __init__(self, model: LipSync) -> None:
        self.kind, self.value = "none", 0.0
        self.train_mean = np.array(model.audio_stats.mean)
        self.train_std = np.array(model.audio_stats.std)
        self.utt_mean, self.utt_std = self.train_mean, self.train_std

    def utterance(self, mel: np.ndarray) -> None:
        self.utt_mean, self.utt_std = mel.mean(0), mel.std(0) + 1e-6

    def apply(self, mel: np.ndarray) -> np.ndarray:
        if self.kind == "warp":
            return warp_mel(mel, self.value)
        if self.kind == "lifter":
            n = mel.shape[1]
            basis = np.cos(np.pi / n * (np.arange(n)[:, None] + 0.5) * np.arange(n)[None, :])
            coef = mel.astype(np.float64) @ basis * (2.0 / n)
            coef[:, 0] /= 2
            coef[:, int(self.value):] = 0
            return (coef @ basis.T).astype(np.float32)
        if self.kind == "cmvn":
            scale = (self.train_std / self.utt_std) ** self.value
            return (self.train_mean + (mel - self.utt_mean) * scale).astype(np.float32)
        return mel

    def wrap(self, mel_at: MelAt) -> MelAt:
        if self.kind == "none":
            return mel_at
        return lambda s, c: torch.from_numpy(self.apply(mel_at(s, c).numpy()))


def install(model: LipSync) -> Normaliser:
    """Route every log-mel the model reads (head windows, tracks) through a Normaliser; whole-recording
    inference also sets the utterance statistics first."""
    norm = Normaliser(model)
    windows, run, stream = LipSync._window_mels, LipSync._run, LipSync.stream_shapes

    def window_mels(self: LipSync, mel_at: MelAt, n: int, batch: int) -> Any:
        return windows(self, norm.wrap(mel_at), n, batch)

    def run_track(self: LipSync, mel_at: MelAt, n: int, *a: Any, **k: Any) -> Any:
        return run(self, norm.wrap(mel_at), n, *a, **k)

    def stream_shapes(self: LipSync, audio: np.ndarray, batch: int = 16) -> Any:
        norm.utterance(log_mel(audio, self.config.audio, self.frame_count(len(audio))).numpy().astype(np.float64))
        return stream(self, audio, batch)

    LipSync._window_mels = window_mels  # type: ignore[method-assign]
    LipSync._run = run_track  # type: ignore[method-assign]
    LipSync.stream_shapes = stream_shapes  # type: ignore[method-assign]
    return norm


def per_vowel(model: LipSync, cache: Cache, limit: int) -> dict[str, dict[str, float]]:
    """slt's mean width per rounded or spread vowel (the frames frame_classes gives it: its middle 60%): head vs
    truth."""
    acc: dict[str, tuple[list[np.ndarray], list[np.ndarray]]] = {}
    for it in _clips(cache, "test", limit):
        truth = clip_shapes(it, np.asarray(cache.landmarks(it)))
        head = model.shapes_of_mel(np.asarray(cache.mel(it)))[:len(truth)]
        n = len(head)
        cls, t = frame_classes(it, n), visual_times(it, n)
        for canon, start, end in it["meta"]["phones"]:
            inner = (t >= start) & (t < end) & np.isin(cls, ["rounded", "spread"])  # frame_classes: its middle 60%
            if inner.any():
                a, b = acc.setdefault(canon, ([], []))
                a.append(width_of(truth[:n][inner]))
                b.append(width_of(head[inner]))
    return {k: {"frames": int(sum(len(x) for x in a)), "truth": float(np.concatenate(a).mean()),
                "head": float(np.concatenate(b).mean())} for k, (a, b) in sorted(acc.items())}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True, help="a lipglance synth corpus whose test split is the held-out voice")
    p.add_argument("--limit", type=int, default=120, help="held-out test clips (default 120)")
    p.add_argument("--sync-json", default="docs/sync.json", help="lipglance evaluate --sync output (loudness fit)")
    p.add_argument("--out", required=True, help="output stem (.json, .md)")
    args = p.parse_args()
    model = LipSync.from_pretrained(None)
    cache = Cache(args.data)
    vowels = per_vowel(model, cache, args.limit)
    norm = install(model)
    fit = json.loads(Path(args.sync_json).read_text())["loudness_fit"]
    base = LoudnessBaseline(fit["floor_db"], fit["gain"])
    recs = recordings()
    rows: list[dict[str, Any]] = []
    for kind, values in [("none", (0.0,)), *STRENGTHS.items()]:
        for value in values:
            norm.kind, norm.value = kind, float(value)

            def head(it: dict[str, Any], mel: np.ndarray) -> np.ndarray:
                norm.utterance(np.asarray(mel, np.float64))
                return model.shapes_of_mel(mel)

            held = sync_report({"generator": head}, cache, "test", args.limit)["sources"]
            rec = shape_level([drive(model, wave, text, base) for _, wave, text in recs])["drivers"]["model"]
            rows.append({"transform": kind, "value": value, "recorded": rec,
                         "heldout": {k: v for k, v in held["generator"].items() if k != "classes"},
                         "heldout_truth_rounded_spread": held["truth"]["width_ratio"]})
            print(kind, value, round(rec["width_ratio"], 3), round(held["generator"]["width_ratio"], 3),
                  file=sys.stderr)
    command = (".venv/bin/python research/speaker_normalisation.py --data " + args.data
               + (f" --limit {args.limit}" if args.limit != 120 else "") + f" --out {args.out}")
    Path(args.out + ".json").write_text(json.dumps({"command": command, "rows": rows, "heldout_vowels": vowels},
                                                   indent=1) + "\n")
    lines = ["# Speaker normalisation at inference (bundled model, no retraining)", "",
             "| transform | strength | recorded opening r | p/b/m closed | false closure | rounded/spread (ref 0.805) "
             "| slt opening r | p/b/m closed | closed where open | rounded/spread (truth "
             f"{rows[0]['heldout_truth_rounded_spread']:.3f}) |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        a, b = r["recorded"], r["heldout"]
        lines.append(f"| {r['transform']} | {r['value']:g} | {a['opening_r']:.3f} | {a['bilabial_closure']:.0%} | "
                     f"{a['false_closure']:.1%} | {a['width_ratio']:.3f} | {b['opening_r']:.3f} | "
                     f"{b['bilabial_closure']:.0%} | {b['false_closure']:.1%} | {b['width_ratio']:.3f} |")
    lines += ["", "Held-out slt, mean width per vowel (middle 60%), bundled head vs truth:", "",
              "| vowel | frames | truth | head |", "|---|---:|---:|---:|",
              *[f"| {k} | {v['frames']} | {v['truth']:.3f} | {v['head']:.3f} |" for k, v in vowels.items()],
              "", f"`{command}`"]
    Path(args.out + ".md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
