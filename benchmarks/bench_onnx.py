"""PyTorch vs onnxruntime, both on 2 threads: the networks alone, and `lipglance generate` end to end.

    .venv/bin/python benchmarks/bench_onnx.py [--seconds 20] [--weights W] [--repeats 3]

Networks: frames/s of the generator (batch of 4 windows x 16 frames, as `stream_lips` feeds it; the warp and
network renderers) and of the shape head (batch 16; the shape renderer): network output frames, overlapping
windows counted in full (a video frame needs half a window: hop 8 of 16). Best of `--net-repeats` timed calls
after a warm-up. End to end, in process: `LipSync.save(mp4, model.stream(audio, astronaut photo, renderer=R))` for
each renderer, frames/s including H.264/AAC encoding. End to end, command line: the wall time of
`lipglance generate --audio A --image astronaut.png -o o.mp4 [--backend onnx --weights exported.onnx]` (default
renderer), start-up and model load included, OMP_NUM_THREADS=2. Also: whether the onnx backend imports torch.
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnxruntime
import skimage.data
import torch

from lipglance.inference.model.lipsync import LipSync, image_tensor
from lipglance.inference.onnx.backend import OnnxLipSync, load_onnx
from lipglance.inference.onnx.export import export_onnx
from lipglance.io.audio import load_audio

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "lipglance" / "assets" / "sample.wav"
IMPORTS = ("import sys; from lipglance.inference.onnx.backend import load_onnx; m = load_onnx(sys.argv[1]); "
           "print('torch' in sys.modules)")


def write_wav(path: Path, audio: np.ndarray, rate: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())


def best(fns: list[Callable[[], object]], repeats: int) -> list[float]:
    """The shortest of `repeats` timed calls of each fn (after one warm-up each), in seconds; the fns take turns,
    so that a change in the machine's load falls on all of them."""
    times: list[list[float]] = [[] for _ in fns]
    for fn in fns:
        fn()
    for _ in range(repeats):
        for fn, ts in zip(fns, times, strict=True):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
    return [min(ts) for ts in times]


@torch.inference_mode()
def networks(pt: LipSync, ox: OnnxLipSync, repeats: int) -> None:
    g, a = pt.config.generator, pt.config.audio
    rng = np.random.default_rng(0)
    mel4 = rng.standard_normal((4, 1, g.frames * a.mels_per_frame, a.n_mels)).astype(np.float32)
    ident = np.repeat(image_tensor(ox.motion.proxy if ox.motion else np.zeros((64, 64, 3), np.uint8)).numpy(), 4, 0)
    mel16 = rng.standard_normal((16, *mel4.shape[1:])).astype(np.float32)
    print("| network | batch | PyTorch frames/s | onnxruntime frames/s | onnxruntime / PyTorch |")
    print("|---|---|---|---|---|")
    t_pt, t_ox = best([lambda: pt.generator(torch.from_numpy(mel4), torch.from_numpy(ident)),
                       lambda: ox.onnx.graph(mel4, ident)], repeats)
    n = 4 * g.frames
    print(f"| generator | 4 x {g.frames} frames | {n / t_pt:.0f} | {n / t_ox:.0f} | {t_pt / t_ox:.2f} |")
    head, oxhead = pt.generator.shape_head, ox.onnx.shape_head
    if head is not None and oxhead is not None:
        enc = pt.generator.audio_encoder
        m16 = torch.from_numpy(mel16)
        t_pt, t_ox = best([lambda: head(m16, enc(m16) if head.needs_shared() else None, parts=True),
                           lambda: oxhead.graph(mel16)], repeats)
        n = 16 * g.frames
        print(f"| shape head | 16 x {g.frames} frames | {n / t_pt:.0f} | {n / t_ox:.0f} | {t_pt / t_ox:.2f} |")


def end_to_end(pt: LipSync, ox: OnnxLipSync, audio: np.ndarray, d: Path, repeats: int) -> None:
    photo = skimage.data.astronaut()
    renderers = [r for r, ok in (("shape", ox.onnx.shape_head is not None), ("warp", ox.motion is not None),
                                 ("network", True)) if ok]
    print(f"\n| renderer (512x512 photo, {len(audio) / 16000:.0f} s audio, mp4) | PyTorch frames/s | "
          "onnxruntime frames/s | onnxruntime / PyTorch |")
    print("|---|---|---|---|")
    n = pt.frame_count(len(audio))
    for r in renderers:
        t = best([functools.partial(_save, m, audio, photo, r, d / "o.mp4") for m in (pt, ox)], repeats)
        print(f"| {r} | {n / t[0]:.0f} | {n / t[1]:.0f} | {t[0] / t[1]:.2f} |", flush=True)


def _save(model: LipSync, audio: np.ndarray, photo: np.ndarray, renderer: str, out: Path) -> int:
    return LipSync.save(out, model.stream(audio, photo, renderer=renderer), audio, 16000)


def command_line(wav: Path, onnx: Path, weights: str | None, d: Path, repeats: int) -> None:
    astronaut = Path(skimage.data.__file__).parent / "astronaut.png"
    env = {**os.environ, "OMP_NUM_THREADS": "2"}
    base = [sys.executable, "-m", "lipglance", "generate", "--audio", str(wav), "--image", str(astronaut),
            "-o", str(d / "cli.mp4")]
    torch_cmd = base + (["--weights", weights] if weights else [])
    print("\n| `lipglance generate` (default renderer, start-up and load included) | wall s (best of "
          f"{repeats}) |")
    print("|---|---|")
    cmds = {"PyTorch": torch_cmd, "onnxruntime (`--backend onnx --weights exported.onnx`)":
            base + ["--backend", "onnx", "--weights", str(onnx)]}
    times = best([functools.partial(subprocess.run, c, env=env, check=True, capture_output=True)
                  for c in cmds.values()], repeats)
    for name, t in zip(cmds, times, strict=True):
        print(f"| {name} | {t:.2f} |", flush=True)
    out = subprocess.run([sys.executable, "-c", IMPORTS, str(onnx)], env=env, check=True, capture_output=True,
                         text=True)
    print(f"\nthe onnx backend imports torch: {out.stdout.strip().splitlines()[-1]}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=20.0, help="audio length: sample.wav repeated")
    p.add_argument("--weights", default=None, help="a generator checkpoint instead of the bundled model")
    p.add_argument("--repeats", type=int, default=3, help="timed runs end to end (the best is shown)")
    p.add_argument("--net-repeats", type=int, default=20, help="timed calls of each network (the best is shown)")
    args = p.parse_args()
    torch.set_num_threads(2)
    print(f"# bench_onnx  {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}  {platform.machine()}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; torch {torch.__version__}, "
          f"onnxruntime {onnxruntime.__version__}; 2 threads each\n")
    speech = load_audio(SAMPLE, 16000)
    audio = np.tile(speech, int(np.ceil(args.seconds * 16000 / len(speech))))[:int(args.seconds * 16000)]
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        t0 = time.perf_counter()
        export_onnx(d / "model.onnx", args.weights)
        print(f"export (both graphs, checked): {time.perf_counter() - t0:.1f} s\n")
        pt, ox = LipSync.from_pretrained(args.weights), load_onnx(d / "model.onnx", threads=2)
        assert isinstance(ox, OnnxLipSync)
        networks(pt, ox, args.net_repeats)
        end_to_end(pt, ox, audio, d, args.repeats)
        wav = d / "speech.wav"
        write_wav(wav, audio, 16000)
        command_line(wav, d / "model.onnx", args.weights, d, args.repeats)
        print(f"\nload average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
