"""Fuzz suite, servers (issue 28, 4): `lipglance live` and `lipglance demo` under abuse and load, on loopback only.

Every case is bounded (a few seconds; the deadlines of lipglance.inference.live.guarded_http are shortened
here) and ends with the page still answering. With GLANCE_FUZZ_SERVERS_REPORT=path a json record of the
run is written there (docs/fuzz_servers.json is one; docs/FUZZ.md gives its figures and the command).
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import pytest
from fuzz_http import (
    DEMO_MALFORMED,
    MALFORMED,
    SLOW,
    call,
    closed_within,
    exchange,
    frames,
    held,
    page_answers,
    page_answers_demo,
    page_answers_demo_quiet,
    request,
    rss_mb,
    size_mb,
    speech_pcm,
    start_session,
    status,
)
from fuzz_report import Recorder

from lipglance.inference.live import guarded_http
from lipglance.inference.live.server import REPLACED, LiveService, load_photo, serve
from lipglance.inference.model.lipsync import LipSync

REQUEST_S, IDLE_S, THREADS = 2.0, 1.0, 6  # the deadlines and thread cap the live server runs with here


@pytest.fixture(scope="module")
def recorder() -> Iterator[Recorder]:
    rec = Recorder({}, True, os.environ.get("GLANCE_FUZZ_SERVERS_REPORT", ""),
                   "GLANCE_FUZZ_SERVERS_REPORT=docs/fuzz_servers.json .venv/bin/python -m pytest "
                   "tests/test_fuzz_servers.py -q")
    yield rec
    rec.write()


@pytest.fixture(scope="module")
def live(model: LipSync, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, LiveService]]:
    """A live server (the astronaut at 256 px, still) on a free loopback port, with short deadlines."""
    import skimage.data

    photo = tmp_path_factory.mktemp("live") / "face.png"
    cv2.imwrite(str(photo), cv2.resize(skimage.data.astronaut()[:, :, ::-1], (256, 256)))
    saved = guarded_http.REQUEST_SECONDS, guarded_http.IDLE_SECONDS
    guarded_http.REQUEST_SECONDS, guarded_http.IDLE_SECONDS = REQUEST_S, IDLE_S
    service = LiveService(model, load_photo(str(photo)), still=True)
    server = serve(service, "127.0.0.1", 0)
    server.slots = threading.BoundedSemaphore(THREADS)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], service
    server.shutdown()
    server.server_close()
    guarded_http.REQUEST_SECONDS, guarded_http.IDLE_SECONDS = saved


@pytest.mark.parametrize(("name", "data", "codes"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_live_malformed_request(live: tuple[int, LiveService], recorder: Recorder, name: str, data: bytes,
                                codes: set[int]) -> None:
    """A malformed or hostile request gets a 4xx/5xx answer (or the connection closed), never a hang, and the page
    answers after it."""
    port, _ = live
    start = time.time()
    reply = exchange(port, data, timeout=REQUEST_S + 3, shut=name == "body_cut_then_closed")
    got = status(reply)
    ok = got in codes and page_answers(port)
    recorder.case(f"live_{name}", "error", "error" if ok else "fail", time.time() - start, f"status {got}")
    assert got in codes, (got, reply[:200])
    assert time.time() - start < REQUEST_S + 3
    assert page_answers(port)


@pytest.mark.parametrize(("name", "first"), SLOW, ids=[s[0] for s in SLOW])
def test_live_slow_client_is_dropped(live: tuple[int, LiveService], recorder: Recorder, name: str,
                                     first: bytes) -> None:
    """A client that stops sending is dropped within the request deadline (a thread is not held forever)."""
    port, _ = live
    start = time.time()
    (s,) = held(port, 1, first)
    with s:
        took = closed_within(s, REQUEST_S + 3)
    recorder.case(f"live_slow_{name}", "error", "error" if took is not None else "fail", time.time() - start)
    assert took is not None and took <= REQUEST_S + 1, took
    assert page_answers(port)


def test_live_drip_fed_headers_are_dropped(live: tuple[int, LiveService], recorder: Recorder) -> None:
    """Slowloris: a header byte every half idle-timeout keeps each read alive, the request deadline still ends it."""
    port, _ = live
    start = time.time()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"GET / HTTP/1.1\r\nX-Slow: ")
        dropped = None
        while time.time() - start < REQUEST_S + 3:
            time.sleep(IDLE_S / 2)
            try:
                s.sendall(b"a")
            except OSError:
                dropped = time.time() - start
                break
            s.settimeout(0.01)
            try:
                if s.recv(1024) == b"":
                    dropped = time.time() - start
                    break
            except TimeoutError:
                pass
            except OSError:
                dropped = time.time() - start
                break
    recorder.case("live_slow_drip_fed_headers", "error", "error" if dropped else "fail", time.time() - start)
    assert dropped is not None and dropped <= REQUEST_S + IDLE_S + 0.5, dropped
    assert page_answers(port)


def test_live_thread_cap(live: tuple[int, LiveService], recorder: Recorder) -> None:
    """With the cap's worth of connections held open by idle clients, one more is answered 503 at once (no thread
    for it), and once the idle ones are dropped the page answers again."""
    port, _ = live
    start = time.time()
    threads_before = threading.active_count()
    idle = held(port, THREADS)
    try:
        time.sleep(0.2)
        t0 = time.time()
        extra = exchange(port, request("GET", "/"), timeout=3)
        refused_in = time.time() - t0
        assert status(extra) == 503 and refused_in < 1.0, (extra[:100], refused_in)
        assert threading.active_count() <= threads_before + THREADS
    finally:
        for s in idle:
            s.close()
    deadline = time.time() + REQUEST_S + 3
    while time.time() < deadline and not page_answers(port):
        time.sleep(0.2)
    recorder.case("live_thread_cap", "error", "error", time.time() - start, f"extra refused in {refused_in:.3f} s")
    assert page_answers(port)


def test_live_replaced_page_is_told_and_sessions_never_mix(live: tuple[int, LiveService], recorder: Recorder) -> None:
    """Page A streams, page B starts: A's next chunk is answered 410 with the line its page shows; B's frames are
    exactly those of B's audio alone (A's audio never reaches B's stream), indices from 0."""
    port, service = live
    start = time.time()
    a = start_session(port)
    code, _ = call(port, "POST", f"/audio?session={a}", speech_pcm(0.4, 1))
    assert code == 200
    b = start_session(port)
    code, body = call(port, "POST", f"/audio?session={a}", speech_pcm(0.4, 1))
    assert code == 410 and body == REPLACED, (code, body)
    got = [f for chunk in (speech_pcm(0.4, 2)[i:i + 3200] for i in range(0, 12800, 3200))
           for f in frames(call(port, "POST", f"/audio?session={b}", chunk)[1])]
    c = start_session(port)  # the reference: B's audio alone, in a fresh session
    want = [f for chunk in (speech_pcm(0.4, 2)[i:i + 3200] for i in range(0, 12800, 3200))
            for f in frames(call(port, "POST", f"/audio?session={c}", chunk)[1])]
    assert [i for i, _ in got] == list(range(len(got))) and len(got) >= 4
    assert got == want
    recorder.case("live_replaced_page", "ok", "ok", time.time() - start)


def test_live_concurrent_pages(live: tuple[int, LiveService], recorder: Recorder) -> None:
    """Four pages, each starting sessions and posting chunks at once for 60 rounds: every reply is 200 (frames of
    its own session, indices consecutive), 410 (replaced) or 409, never a 5xx; the page answers after."""
    port, _ = live
    start = time.time()
    codes: list[int] = []
    broken: list[str] = []

    def page(seed: int) -> None:
        session, expect = 0, 0
        for k in range(60):
            if k % 15 == 0:
                session, expect = start_session(port), 0
            code, body = call(port, "POST", f"/audio?session={session}", speech_pcm(0.08, seed))
            codes.append(code)
            if code == 200:
                idx = [i for i, _ in frames(body)]
                if idx != list(range(expect, expect + len(idx))):
                    broken.append(f"page {seed}: frames {idx}, expected from {expect}")
                expect += len(idx)

    workers = [threading.Thread(target=page, args=(s,)) for s in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    assert not broken, broken[:5]
    assert set(codes) <= {200, 409, 410, 503} and codes.count(200) > 0, sorted(set(codes))
    assert page_answers(port)
    recorder.case("live_concurrent_pages", "ok", "ok", time.time() - start,
                  f"{len(codes)} chunks: " + ", ".join(f"{c}: {codes.count(c)}" for c in sorted(set(codes))))


def test_live_soak_bounded(recorder: Recorder, tmp_path: Path) -> None:
    """The soak (benchmarks/soak_live.py: `lipglance live` in its own process, a page posting speech at real-time
    pace, another page taking over every 10 s) for 25 s: every frame comes, resident memory and thread count stay
    flat (the 10-minute run: docs/soak_live.json)."""
    import json
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    out = tmp_path / "soak.json"
    env = {**os.environ, "PYTHONPATH": str(root)}
    subprocess.run([sys.executable, str(root / "benchmarks" / "soak_live.py"), "--seconds", "25",
                    "--takeover-every", "10", "--json", str(out)],
                   check=True, timeout=180, env=env, stdout=subprocess.DEVNULL)
    soak = json.loads(out.read_text())
    recorder.extra["live_soak_bounded"] = {k: v for k, v in soak.items() if k != "samples"}
    assert soak["frames_received"] == soak["frames_expected"] and soak["sessions_replaced"] >= 1, soak
    assert soak["rss_growth_mb"] < 40, soak
    assert soak["threads_end"] <= soak["threads_start"] + 1, soak


# ---------------------------------------------------------------- lipglance demo (Gradio)


@pytest.fixture(scope="module")
def demo(model: LipSync) -> Iterator[tuple[int, Any]]:
    """The demo page on a free loopback port (its own temp folder: app.files)."""
    pytest.importorskip("gradio")
    from lipglance.inference.cli.demo import launch

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    app = launch(model, "127.0.0.1", port, block=False)
    yield port, app
    app.close()
    app.files.close()


def test_demo_page_states_its_upload_limit(demo: tuple[int, Any], recorder: Recorder) -> None:
    from lipglance.inference.cli.demo import MAX_UPLOAD

    port, _ = demo
    code, body = call(port, "GET", "/config")
    assert code == 200 and f"Uploads up to {MAX_UPLOAD.upper()[:-2]} MB".encode() in body
    recorder.case("demo_page_states_upload_limit", "ok", "ok", 0.0)


def test_demo_2gb_upload_refused_without_filling_memory_or_disk(demo: tuple[int, Any], recorder: Recorder) -> None:
    """A POST to the upload route announcing 2 GiB, streamed 1 MiB at a time: refused (413) once past the page's
    limit, with under that limit written to disk and resident memory not grown by the upload."""
    port, app = demo
    start = time.time()
    boundary = "fuzzboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"big.wav\"\r\n"
            "Content-Type: audio/wav\r\n\r\n").encode()
    total = 2 * 2**30
    disk0 = size_mb(app.files.root)
    rss0, sent, peak_disk, answer = rss_mb(), 0, 0.0, b""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall((f"POST /gradio_api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {total}\r\n"
                   f"Content-Type: multipart/form-data; boundary={boundary}\r\n\r\n").encode() + head)
        chunk = bytes(2**20)
        while sent < 200 * 2**20:  # never more than 200 MiB of the 2 GiB
            try:
                s.sendall(chunk)
            except OSError:
                break
            sent += len(chunk)
            peak_disk = max(peak_disk, size_mb(app.files.root) - disk0)
            if select.select([s], [], [], 0)[0]:  # the server answered (or closed)
                break
        with contextlib.suppress(OSError):
            answer = s.recv(4096)
    grown = rss_mb() - rss0
    recorder.case("demo_upload_2gb", "error", "error" if status(answer) == 413 else "fail", time.time() - start,
                  f"status {status(answer)} after {sent / 2**20:.0f} MiB sent; {peak_disk:.1f} MiB on disk at most; "
                  f"resident memory +{grown:.0f} MiB")
    assert status(answer) == 413, answer[:300]
    assert sent <= 64 * 2**20 and peak_disk <= 21, (sent, peak_disk)
    assert grown < 100, grown
    assert size_mb(app.files.root) - disk0 < 0.1  # the refused part removed
    assert page_answers_demo(port)


def test_demo_job_leaves_only_its_result_and_shutdown_removes_everything(model: LipSync, recorder: Recorder,
                                                                            sample_wav: Path,
                                                                            astronaut_png: Path) -> None:
    """A generate job through the page's API: its uploads and result live in the server's own folder (no file
    in the system temp folder, no second copy of the result); the folder is gone once the server stops."""
    pytest.importorskip("gradio")
    import tempfile

    from gradio_client import Client, handle_file

    from lipglance.inference.cli.demo import launch

    start = time.time()
    system_tmp = set(Path(tempfile.gettempdir()).glob("lipglance-*.mp4"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    app = launch(model, "127.0.0.1", port, block=False)
    root = app.files.root
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        video, _, _ = client.predict(handle_file(str(sample_wav)), handle_file(str(astronaut_png)),
                                     api_name="/generate")
        assert Path(video["video"] if isinstance(video, dict) else video).is_file()
        results = [p for p in root.rglob("*.mp4")]
        assert len(results) == 1 and results[0].parent == root / "results", results  # one copy, in its folder
        assert set(Path(tempfile.gettempdir()).glob("lipglance-*.mp4")) == system_tmp
    finally:
        app.close()
        app.files.close()
    assert not root.exists()
    recorder.case("demo_temp_files", "ok", "ok", time.time() - start)


@pytest.mark.parametrize(("name", "data", "codes"), DEMO_MALFORMED, ids=[m[0] for m in DEMO_MALFORMED])
def test_demo_malformed_request(demo: tuple[int, Any], recorder: Recorder, name: str, data: bytes,
                                codes: set[int]) -> None:
    """Malformed requests to the demo's server (uvicorn): the status expected (or a closed connection) within 10 s,
    and the page answers after."""
    port, _ = demo
    start = time.time()
    reply = exchange(port, data, timeout=8, shut=name == "body_cut_then_closed")
    ok = status(reply) in codes and page_answers_demo(port)
    outcome = ("ok" if status(reply) == 200 else "error") if ok else "fail"
    recorder.case(f"demo_{name}", "ok" if codes == {200} else "error", outcome, time.time() - start,
                  f"status {status(reply)}")
    assert status(reply) in codes and time.time() - start < 10, reply[:200]
    assert page_answers_demo(port)


def test_demo_sigterm_removes_its_folder(tmp_path: Path, recorder: Recorder) -> None:
    """`lipglance demo` stopped with SIGTERM (as a service manager stops it): the server's folder of uploads and
    results is gone."""
    pytest.importorskip("gradio")
    import signal
    import subprocess
    import sys
    import tempfile

    start = time.time()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    before = set(Path(tempfile.gettempdir()).glob("lipglance-demo-*"))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen([sys.executable, "-m", "lipglance", "demo", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None and not page_answers_demo_quiet(port):
            time.sleep(0.5)
        made = set(Path(tempfile.gettempdir()).glob("lipglance-demo-*")) - before
        assert len(made) == 1 and page_answers_demo(port), made
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    recorder.case("demo_sigterm_cleanup", "ok", "ok" if not any(p.exists() for p in made) else "fail",
                  time.time() - start)
    assert not any(p.exists() for p in made), made


def test_docs_show_the_recorded_server_campaign() -> None:
    """docs/FUZZ.md shows exactly the figures of docs/fuzz_servers.json, and the 10-minute soak's."""
    import json

    from fuzz_report import table

    root = Path(__file__).resolve().parents[1]
    summary = json.loads((root / "docs" / "fuzz_servers.json").read_text())
    assert summary["outcomes"]["fail"] == 0 and summary["inputs"] == len(summary["cases"]) >= 40
    doc = (root / "docs" / "FUZZ.md").read_text()
    assert table(summary) in doc, "rerun: python tests/fuzz_report.py docs/fuzz_servers.json, paste it in FUZZ.md"
    soak = json.loads((root / "docs" / "soak_live.json").read_text())
    assert soak["seconds"] >= 590 and soak["frames_received"] == soak["frames_expected"]
    for key in ("rss_start_mb", "rss_end_mb", "rss_max_mb", "threads_start", "threads_end"):
        assert f"{soak[key]:g}" in doc, key
