"""Soak of `lipglance live`: a page posting speech at real-time pace for minutes; the server's memory and threads.

    .venv/bin/python benchmarks/soak_live.py [--seconds 600] [--json docs/soak_live.json]

The server runs as `lipglance live --image <the astronaut photo> --port 0` in its own process (so its resident
memory is its own). A client posts the bundled speech sample (tiled, with 1 s pauses) as the page does: 16-bit
PCM over one keep-alive connection, one request in flight, each carrying every sample that "arrived" (at
real-time pace) since the last one, sent once a whole 40 ms frame is there. Every `--takeover-every` seconds
a second "page" starts a session (the first page is told it was replaced, as a browser would be, and starts
again). Every 5 s the server's resident memory (VmRSS), thread count and open files are read from /proc.

Printed and written as json: frames expected and received, requests and seconds of audio posted, how far
behind real time the client ended (`behind_s`: audio that had arrived but was not posted yet), sessions
replaced, and the samples; `rss_growth_mb` is the last sample minus the first one after the first 10% of the
run (model and caches warmed up), `threads_start`/`threads_end` the same way.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_EVERY = 5.0  # s between /proc readings


def _proc(pid: int) -> dict[str, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]
    threads = int(re.search(r"Threads:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
    return {"rss_mb": round(rss, 1), "threads": threads, "fds": len(os.listdir(f"/proc/{pid}/fd"))}


def _speech() -> np.ndarray:
    from lipglance.io.audio import load_audio

    s = load_audio(ROOT / "lipglance" / "assets" / "sample.wav", 16000)
    return np.concatenate([s, np.zeros(16000, np.float32)])


def _post(conn: http.client.HTTPConnection, path: str, body: bytes) -> tuple[int, bytes]:
    """One request; a kept-alive connection the server closed while idle is reopened once, as a browser does."""
    for attempt in (0, 1):
        try:
            conn.request("POST", path, body=body, headers={"Content-Type": "application/octet-stream"})
            reply = conn.getresponse()
            return reply.status, reply.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            conn.close()
            if attempt:
                raise
    raise AssertionError("unreachable")


def _session(conn: http.client.HTTPConnection) -> int:
    code, body = _post(conn, "/session", b"")
    assert code == 200, (code, body)
    return int(json.loads(body)["session"])


def _frames(body: bytes) -> int:
    n, at = 0, 0
    while at < len(body):
        at += 8 + int.from_bytes(body[at + 4:at + 8], "little")
        n += 1
    return n


def soak(seconds: float, image: Path, takeover_every: float = 60.0) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-m", "lipglance", "live", "--image", str(image), "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = server.stdout.readline() if server.stdout else ""
        port = int(re.search(r":(\d+)/", line).group(1))  # type: ignore[union-attr]
        return _run(server.pid, port, seconds, takeover_every)
    finally:
        server.terminate()
        server.wait(30)


def _run(pid: int, port: int, seconds: float, takeover_every: float) -> dict[str, object]:
    pcm = (np.clip(_speech(), -1, 1) * 32767).astype("<i2")
    spf, lookahead = 640, 4  # samples per frame (40 ms at 16 kHz); frames held back by the server's lookahead
    page = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    other = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    session = _session(page)
    samples: list[dict[str, float]] = []
    received = expected = replaced = requests = 0
    sent = session_start = 0  # samples posted in all, at the start of this session
    start = time.monotonic()
    next_sample, next_takeover = start, start + takeover_every
    while (now := time.monotonic()) - start < seconds:
        arrived = int((now - start) * 16000)
        if arrived - sent < spf:  # wait for a whole frame, as the page does
            time.sleep((sent + spf - arrived) / 16000)
            continue
        if now >= next_takeover:
            _session(other)  # a second page starts: the first is told so on its next request
            next_takeover += takeover_every
        data = np.take(pcm, np.arange(sent, arrived), mode="wrap").tobytes()
        code, body = _post(page, f"/audio?session={session}", data[: 2 * 16000 * 2])  # the server's 2 s cap
        requests += 1
        if code == 410:  # replaced: this session's frames still held back by the lookahead never come
            replaced += 1
            expected += max(0, (sent - session_start) // spf - lookahead)
            session, session_start = _session(page), sent
            continue
        assert code == 200, (code, body[:200])
        received += _frames(body)
        sent += len(data[: 2 * 16000 * 2]) // 2
        if time.monotonic() >= next_sample:
            samples.append({"t": round(time.monotonic() - start, 1), **_proc(pid)})
            next_sample += SAMPLE_EVERY
    expected += max(0, (sent - session_start) // spf - lookahead)
    samples.append({"t": round(time.monotonic() - start, 1), **_proc(pid)})
    warm = next(s for s in samples if s["t"] >= 0.1 * seconds)
    return {"seconds": round(time.monotonic() - start, 1), "requests": requests, "audio_posted_s": sent / 16000,
            "behind_s": round((time.monotonic() - start) - sent / 16000, 2), "frames_expected": expected,
            "frames_received": received, "sessions_replaced": replaced,
            "rss_start_mb": warm["rss_mb"], "rss_end_mb": samples[-1]["rss_mb"],
            "rss_growth_mb": round(samples[-1]["rss_mb"] - warm["rss_mb"], 1),
            "rss_max_mb": max(s["rss_mb"] for s in samples), "threads_start": warm["threads"],
            "threads_end": samples[-1]["threads"], "threads_max": max(s["threads"] for s in samples),
            "fds_start": warm["fds"], "fds_end": samples[-1]["fds"], "samples": samples}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, default=600.0)
    p.add_argument("--takeover-every", type=float, default=60.0, help="s between a second page taking over")
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    import skimage.data

    image = Path(skimage.data.__file__).parent / "astronaut.png"
    result = soak(args.seconds, image, args.takeover_every)
    result = {"command": f"python benchmarks/soak_live.py --seconds {args.seconds:g}"
              + (f" --takeover-every {args.takeover_every:g}" if args.takeover_every != 60 else "")
              + (f" --json {args.json}" if args.json else ""), "machine_cpus": os.cpu_count(),
              "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **result}
    print(json.dumps({k: v for k, v in result.items() if k != "samples"}, indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
