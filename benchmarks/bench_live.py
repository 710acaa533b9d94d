"""Live latency: audio in -> frame out, with the audio fed at real-time pace (as a microphone gives it).

    .venv/bin/python benchmarks/bench_live.py [--seconds 60] [--chunk-ms 40] [--lookahead 2 4]
                                              [--via direct http browser]

The bundled speech sample, tiled with 1 s pauses, is cut into chunks that are handed over at the moment their
last sample would exist (t0 + chunk end). Latency of frame i = when it is ready - when the last sample of its
own 40 ms of audio was handed over. It holds the lookahead (L frames x 40 ms) + waiting for the chunk that
completes frame i + L + compute; anything that piles up (a growing backlog) shows as latency growing over the run,
so the first and the last quarter are reported apart.

- direct: `lipglance.inference.live.stream.LiveFace` on the astronaut photo (512x512, no sway: `still`), JPEG-encoded as
  `lipglance live` sends them: frame ready = its JPEG exists.
- http: the same through `lipglance live`'s server (lipglance/inference/live/server.py) on 127.0.0.1, one
  keep-alive POST per chunk:
  frame ready = its reply has arrived.
- browser: the page in headless Chromium with a fake microphone playing the same audio (needs chromium and
  playwright); latency as the page measures it: from when the AudioWorklet handed the frame's last sample to
  the page to when the frame is drawn (Chromium's own capture buffering before that is not included).

Accuracy: the mouth opening of each lookahead against the offline path's, on the sample.
Throughput: frames/s when the whole audio is pushed at once (no pacing), and the compute per frame. One torch
thread (as `lipglance live` runs); the machine's other core is free for the rest (the browser, the server thread).
"""

from __future__ import annotations

import argparse
import http.client
import json
import struct
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import torch

from lipglance.inference.live.server import LiveService, load_photo, serve
from lipglance.inference.live.stream import LiveFace, LiveShapes
from lipglance.inference.model.lipsync import LipSync
from lipglance.io.audio import load_audio

SAMPLE_WAV = "lipglance/assets/sample.wav"
NOTES: list[str] = []


def astronaut() -> str:
    import skimage.data

    return str(Path(skimage.data.__file__).parent / "astronaut.png")


def speech_audio(seconds: float, sr: int) -> np.ndarray:
    sample = np.concatenate([load_audio(SAMPLE_WAV, sr), np.zeros(sr, np.float32)])
    return np.tile(sample, int(np.ceil(seconds * sr / len(sample))))[: int(seconds * sr)]


def paced(audio: np.ndarray, chunk: int, sr: int, handle: Callable[[np.ndarray], list[int]]) -> list[float]:
    """Hand `audio` over chunk by chunk at real-time pace; `handle(samples)` returns the indices of the frames
    that are ready. Latency per frame (s), in frame order."""
    spf, ready = sr // 25, {}
    t0 = time.perf_counter() + 0.05
    for at in range(0, len(audio), chunk):
        due = t0 + (at + chunk) / sr
        time.sleep(max(0.0, due - time.perf_counter()))
        for i in handle(audio[at:at + chunk]):
            ready[i] = time.perf_counter()
    done = {i: t for i, t in ready.items() if (i + 1) * spf <= len(audio)}
    return [done[i] - (t0 + (-(-(i + 1) * spf // chunk) * chunk) / sr) for i in sorted(done)]


def jpeg(frame: np.ndarray) -> bytes:
    return cv2.imencode(".jpg", cv2.cvtColor(frame, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes()


def direct(model: LipSync, audio: np.ndarray, chunk: int, lookahead: int) -> list[float]:
    face = LiveFace(model, astronaut(), lookahead=lookahead, still=True)

    def handle(samples: np.ndarray) -> list[int]:
        frames = [jpeg(f) for f in face.push(samples)]
        return list(range(face.shapes.frames_out - len(frames), face.shapes.frames_out))

    latencies = paced(audio, chunk, model.sample_rate, handle)
    levels = len(face.shapes.level.levels) if face.shapes.level else 0
    NOTES.append(f"direct, L={lookahead}: buffers at the end: audio ring {face.shapes.ring.size} samples, partial "
                 f"frame {len(face.shapes.rest)} samples, loudness levels {levels} (at most 1500)")
    return latencies


def via_http(model: LipSync, audio: np.ndarray, chunk: int, lookahead: int) -> list[float]:
    service = LiveService(model, load_photo(astronaut()), lookahead, still=True)
    server = serve(service, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1])
    conn.request("POST", "/session", b"")
    session = json.loads(conn.getresponse().read())["session"]

    def handle(samples: np.ndarray) -> list[int]:
        conn.request("POST", f"/audio?session={session}", (samples * 32767).astype("<i2").tobytes())
        body, at, out = conn.getresponse().read(), 0, []
        while at < len(body):
            index, length = struct.unpack_from("<II", body, at)
            out.append(index)
            at += 8 + length
        return out

    try:
        return paced(audio, chunk, model.sample_rate, handle)
    finally:
        server.shutdown()
        server.server_close()


def browser(model: LipSync, audio: np.ndarray, chunk: int, lookahead: int) -> list[float]:
    import wave

    from playwright.sync_api import sync_playwright

    service = LiveService(model, load_photo(astronaut()), lookahead, still=True)
    server = serve(service, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        wav = Path(tmp) / "mic.wav"
        with wave.open(str(wav), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(model.sample_rate)
            w.writeframes((audio * 32767).astype("<i2").tobytes())
        b = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={wav}", "--autoplay-policy=no-user-gesture-required"])
        page = b.new_page()
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
        page.click("#start")
        n = int(len(audio) / model.sample_rate * 25) - lookahead - 5
        seen: list[float] = []
        while len(seen) < n:  # the page keeps the last 250; collect as they come
            time.sleep(2.0)
            got = page.evaluate("() => [lipglance.frames, lipglance.latencies.slice()]")
            seen.extend(got[1][-(got[0] - len(seen)):] if got[0] > len(seen) else [])
        b.close()
    server.shutdown()
    server.server_close()
    return [x / 1000 for x in seen[:n]]


def report(name: str, latencies: list[float]) -> None:
    ms = np.array(latencies) * 1000
    q = len(ms) // 4
    print(f"| {name} | {len(ms)} | {np.percentile(ms, 50):.1f} | {np.percentile(ms, 95):.1f} | {ms.max():.1f} | "
          f"{np.median(ms[:q]):.1f} / {np.median(ms[-q:]):.1f} |", flush=True)


def throughput(model: LipSync, seconds: float, lookahead: int) -> None:
    audio = speech_audio(seconds, model.sample_rate)
    face = LiveFace(model, astronaut(), lookahead=lookahead, still=True)
    t = time.perf_counter()
    shapes = face.shapes.push(audio) + face.shapes.flush()
    model_s = time.perf_counter() - t
    t = time.perf_counter()
    for s in shapes:
        jpeg(face._render(s))
    render_s = time.perf_counter() - t
    n = len(shapes)
    print(f"throughput, L={lookahead}, {seconds:.0f} s pushed at once: {n / (model_s + render_s):.0f} frames/s "
          f"({(model_s + render_s) / n * 1000:.2f} ms/frame: shape head window {model_s / n * 1000:.2f} ms, "
          f"warp + JPEG 512x512 {render_s / n * 1000:.2f} ms)")


def accuracy(model: LipSync, lookaheads: list[int]) -> None:
    """How far each lookahead's mouth opening lies from the offline path's (16-frame windows at hop 8, cross-faded)
    on the bundled sample, in rest mouth widths."""
    sample = load_audio(SAMPLE_WAV, model.sample_rate)
    offline = np.stack(list(model.stream_shapes(sample)))
    print("| lookahead | mean abs error of the opening vs offline (rest widths) | correlation |")
    print("|---|---|---|")
    for lookahead in lookaheads:
        shapes = LiveShapes(model, lookahead)
        live = np.stack(shapes.push(sample) + shapes.flush())
        a, b = live[:, 18, 1] - live[:, 14, 1], offline[:, 18, 1] - offline[:, 14, 1]
        print(f"| {lookahead} ({lookahead * 40} ms) | {np.abs(a - b).mean():.4f} | {np.corrcoef(a, b)[0, 1]:.3f} |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--chunk-ms", type=int, default=40)
    p.add_argument("--lookahead", type=int, nargs="+", default=[4])
    p.add_argument("--via", nargs="+", default=["direct", "http", "browser"], choices=["direct", "http", "browser"])
    args = p.parse_args()
    torch.set_num_threads(1)
    model = LipSync.from_pretrained()
    chunk = model.sample_rate * args.chunk_ms // 1000
    audio = speech_audio(args.seconds, model.sample_rate)
    print(f"bench_live: {args.seconds:.0f} s of speech with pauses, chunks of {args.chunk_ms} ms at real-time pace, "
          f"torch {torch.__version__}, 1 torch thread, load average before: {Path('/proc/loadavg').read_text()[:14]}")
    print("| path, lookahead | frames | p50 ms | p95 ms | max ms | median first / last quarter ms |")
    print("|---|---|---|---|---|---|")
    for via in args.via:
        for lookahead in args.lookahead:
            run = {"direct": direct, "http": via_http, "browser": browser}[via]
            report(f"{via}, L={lookahead} ({lookahead * 40} ms)", run(model, audio, chunk, lookahead))
    print("\n".join(NOTES))
    accuracy(model, sorted({0, 1, 2, 3, 4, 6, *args.lookahead}))
    for lookahead in args.lookahead:
        throughput(model, min(args.seconds, 30.0), lookahead)
    print(f"load average after: {Path('/proc/loadavg').read_text()[:14]}", file=sys.stdout)


if __name__ == "__main__":
    main()
