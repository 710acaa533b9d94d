"""Dubbing speed and memory (lipglance.inference.video.dub): a 720p video made from a real photo, dubbed end to end to
mp4.

The video: the skimage astronaut photo's head (~250 px face) moving and scaling on a 1280x720 canvas at 25
frames/s, H.264. Each case runs in a fresh process (peak RSS is per process): decode, track, shape-render
and encode to H.264/AAC, the bundled model on the bundled speech sample (looped to length).

    .venv/bin/python benchmarks/bench_dub.py                 # the table (frames/s, peak RSS)
    .venv/bin/python benchmarks/bench_dub.py --profile       # where the time goes (cProfile, one 10-s case)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
W, H = 1280, 720


def make_video(path: Path, seconds: float) -> None:
    import cv2
    import skimage.data

    from lipglance.io.video import write_video

    head = skimage.data.astronaut()[:320, 80:400]

    def frames():  # noqa: ANN202
        for k in range(int(seconds * 25)):
            canvas = np.full((H, W, 3), 96, np.uint8)
            s = 1.9 + 0.1 * np.sin(k / 20)
            img = cv2.resize(head, None, fx=s, fy=s, interpolation=cv2.INTER_LINEAR)
            x, y = int(400 + 150 * np.sin(k / 40)), int(40 + 20 * np.sin(k / 15))
            h, w = min(img.shape[0], H - y), min(img.shape[1], W - x)
            canvas[y:y + h, x:x + w] = img[:h, :w]
            yield canvas

    write_video(path, frames(), 25)


def make_speech(path: Path, seconds: float) -> None:
    import soundfile as sf

    from lipglance.io.audio import load_audio

    speech = load_audio(ROOT / "lipglance" / "assets" / "sample.wav", 16000)
    n = int(seconds * 16000)
    sf.write(path, np.resize(speech, n), 16000)


def run_case(video: Path, speech: Path, out: Path) -> dict[str, float]:
    import torch

    torch.set_num_threads(2)
    from lipglance.inference.model.lipsync import LipSync
    from lipglance.inference.video.dub import DubStats, dub_stream
    from lipglance.io.audio import load_audio

    model = LipSync.from_pretrained()
    audio = load_audio(speech, model.sample_rate)
    stats = DubStats()
    start = time.perf_counter()
    n = model.save(out, dub_stream(model, audio, video, stats=stats), speech, model.sample_rate, 25)
    seconds = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"frames": n, "seconds": round(seconds, 2), "fps": round(n / seconds, 1), "peak_rss_mb": round(rss),
            "faceless": stats.faceless, "video_frames": stats.video_frames or -1}


def profile(video: Path, speech: Path, out: Path, n: int = 100) -> None:
    """Each stage alone, one after the other, on the first `n` frames (the dub runs them in three threads)."""
    import torch

    torch.set_num_threads(2)
    from lipglance.inference.model.lipsync import LipSync
    from lipglance.inference.video.dub import FPS
    from lipglance.inference.video.dub_render import DubRenderer
    from lipglance.inference.video.store import FrameStore
    from lipglance.inference.video.track import track_video
    from lipglance.io.audio import load_audio
    from lipglance.io.decode import iter_frames

    model = LipSync.from_pretrained()
    audio = load_audio(speech, model.sample_rate)[: n * model.sample_rate // FPS]
    times: dict[str, float] = {}

    def timed(name: str, fn):  # noqa: ANN001, ANN202
        t = time.perf_counter()
        result = fn()
        times[name] = (time.perf_counter() - t) / n * 1000
        return result

    frames = timed("decode (PyAV, to RGB)",
                   lambda: [f for _, f in zip(range(n), iter_frames(video, FPS), strict=False)])
    tracked = timed("track (grey, shots, dlib, smoothing)", lambda: list(track_video(frames)))
    shapes = timed("shape head (bundled model)", lambda: list(model.stream_shapes(audio)))
    renderer = DubRenderer()
    rendered = timed("shape render (close + move the mouth, lower the jaw)",
                     lambda: [renderer.frame(f, p, s) for (f, p), s in zip(tracked, shapes, strict=True)])
    timed("encode (RGB->yuv420p, H.264 veryfast, AAC)", lambda: model.save(out, rendered, audio, model.sample_rate))
    with FrameStore() as store:
        def fill() -> None:
            for f, p in tracked:
                store.append(f, p)

        timed("ping-pong store: write (JPEG q95)", fill)
        timed("ping-pong store: read back", lambda: [store[k] for k in range(n - 1, -1, -1)])
    print(f"ms per 1280x720 frame, each stage alone ({n} frames, 2 torch threads; load average "
          f"{os.getloadavg()[0]:.1f}):")
    for name, ms in times.items():
        print(f"  {name:45s} {ms:6.2f}")
    print(f"  {'sum of the first five (one thread)':45s} {sum(list(times.values())[:5]):6.2f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", nargs=3, metavar=("VIDEO", "SPEECH", "OUT"), help=argparse.SUPPRESS)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    if args.case:
        print(json.dumps(run_case(*map(Path, args.case))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        for s in (4, 10, 60):
            make_video(d / f"v{s}.mp4", s)
        for s in (10, 60):
            make_speech(d / f"s{s}.wav", s)
        if args.profile:
            profile(d / "v10.mp4", d / "s10.wav", d / "p.mp4")
            return
        cases = [("10-s video, 10-s speech", "v10", "s10"), ("60-s video, 60-s speech", "v60", "s60"),
                 ("4-s video, 10-s speech (ping-pong)", "v4", "s10"),
                 ("4-s video, 60-s speech (ping-pong)", "v4", "s60"), ("60-s video, 10-s speech (cut)", "v60", "s10")]
        print(f"load average before: {os.getloadavg()[0]:.1f} (1 min), {os.cpu_count()} CPUs")
        print("| case (1280x720, 25 fps, bundled model, 2 threads) | frames | s | frames/s | peak RSS (MB) |")
        print("|---|---|---|---|---|")
        for name, v, a in cases:
            r = subprocess.run([sys.executable, __file__, "--case", str(d / f"{v}.mp4"), str(d / f"{a}.wav"),
                                str(d / "out.mp4")], capture_output=True, text=True, check=True)
            res = json.loads(r.stdout.strip().splitlines()[-1])
            assert res["faceless"] == 0, res  # the face is found in every frame
            print(f"| {name} | {res['frames']} | {res['seconds']} | {res['fps']} | {res['peak_rss_mb']} |", flush=True)
        print(f"load average after: {os.getloadavg()[0]:.1f} (1 min)")


if __name__ == "__main__":
    main()
