"""Raw HTTP for the server fuzz cases (tests/test_fuzz_servers.py): loopback sockets, bounded in time.

Each helper opens its own connection to 127.0.0.1, sends exactly the bytes given (well-formed or not) and
reads what comes back until the server closes or a timeout; nothing here goes beyond loopback.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

TIMEOUT = 10.0  # s: no single exchange in the suite may take longer


def exchange(port: int, data: bytes, timeout: float = TIMEOUT, shut: bool = False) -> bytes:
    """Send `data` (then half-close when `shut`), return every byte answered until the server closes, or until
    `timeout` (b"" when nothing came back)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        with contextlib.suppress(OSError):
            s.sendall(data)
            if shut:
                s.shutdown(socket.SHUT_WR)
        return read_all(s, timeout)


def read_all(s: socket.socket, timeout: float) -> bytes:
    out, end = b"", time.monotonic() + timeout
    while time.monotonic() < end:
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            piece = s.recv(65536)
        except (TimeoutError, OSError):
            break
        if not piece:
            break
        out += piece
    return out


def status(reply: bytes) -> int:
    """The status code of a raw HTTP reply (0: none). A request line http.server takes for HTTP/0.9 is answered
    without a status line: the code is then read from its error page."""
    if not reply.startswith(b"HTTP/"):
        found = re.search(rb"Error code: (\d+)", reply)
        return int(found.group(1)) if found else 0
    try:
        return int(reply.split(b"\r\n", 1)[0].split()[1])
    except (IndexError, ValueError):
        return 0


def request(method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}", "Connection: close"]
    head += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def call(port: int, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
    """(status, body) of one well-formed request."""
    reply = exchange(port, request(method, path, body))
    return status(reply), reply.split(b"\r\n\r\n", 1)[-1]


def page_answers(port: int) -> bool:
    code, body = call(port, "GET", "/")
    return code == 200 and b"<html" in body.lower()


def start_session(port: int) -> int:
    code, body = call(port, "POST", "/session")
    assert code == 200, (code, body)
    return int(json.loads(body)["session"])


def frames(body: bytes) -> Iterator[tuple[int, bytes]]:
    """(index, JPEG) of each frame of an /audio reply."""
    at = 0
    while at < len(body):
        index, length = struct.unpack_from("<II", body, at)
        yield index, body[at + 8:at + 8 + length]
        at += 8 + length


def held(port: int, count: int, first: bytes = b"") -> list[socket.socket]:
    """`count` connections that send `first` and then nothing (the caller closes them)."""
    out = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        if first:
            s.sendall(first)
        out.append(s)
    return out


def closed_within(s: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closed (or answered and closed) `s`, or None if it stayed open `seconds`."""
    start = time.monotonic()
    s.settimeout(seconds)
    try:
        while s.recv(65536):
            pass
    except TimeoutError:
        return None
    except OSError:
        pass
    return time.monotonic() - start


# ---------------------------------------------------------------- the cases and gauges of tests/test_fuzz_servers.py


def speech_pcm(seconds: float, seed: int) -> bytes:
    """int16 PCM of a varying tone (different per seed), as the page posts it."""
    t = np.arange(int(seconds * 16000)) / 16000
    x = 0.3 * np.sin(2 * np.pi * (150 + 40 * seed) * t) * (0.5 + 0.5 * np.sin(2 * np.pi * (2 + seed) * t))
    return (x * 32767).astype("<i2").tobytes()


BIG = "x" * 70000
MALFORMED: list[tuple[str, bytes, set[int]]] = [  # (name, raw bytes, acceptable status codes; 0: closed, no reply)
    ("method_put", request("PUT", "/"), {501}),
    ("method_delete", request("DELETE", "/session"), {501}),
    ("method_brew", request("BREW", "/"), {501}),
    ("method_head", request("HEAD", "/"), {501}),
    ("method_lowercase", request("get", "/"), {501}),
    ("garbage_line", b"\x00\xff\xfe garbage\r\n\r\n", {400}),
    ("binary_noise", bytes(range(256)) * 40, {400, 0}),
    ("empty_lines", b"\r\n\r\n\r\n", {400, 0}),
    ("version_http_2", b"GET / HTTP/2.0\r\n\r\n", {505}),
    ("version_garbage", b"GET / HTTP/x.y\r\n\r\n", {400}),
    ("path_traversal", request("GET", "/../../etc/passwd"), {404}),
    ("path_nul", request("GET", "/%00"), {404}),
    ("path_absolute_url", request("GET", "http://example.com/"), {404}),
    ("path_70k", request("GET", "/" + BIG), {414}),
    ("header_64k", request("GET", "/", headers={"X-Big": BIG}), {431}),
    ("headers_200", request("GET", "/", headers={f"X-{k}": "1" for k in range(200)}), {431}),
    ("content_length_negative", b"POST /audio?session=1 HTTP/1.1\r\nContent-Length: -5\r\n\r\n", {400}),
    ("content_length_huge", b"POST /audio?session=1 HTTP/1.1\r\nContent-Length: 1000000000000000\r\n\r\nxx", {400}),
    ("content_length_text", b"POST /audio?session=1 HTTP/1.1\r\nContent-Length: abc\r\n\r\n", {400}),
    ("content_length_odd", b"POST /audio?session=1 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", {400}),
    ("content_length_over_chunk", b"POST /audio?session=1 HTTP/1.1\r\nContent-Length: 64002\r\n\r\n", {400}),
    ("body_cut_then_closed", b"POST /audio?session=1 HTTP/1.1\r\nContent-Length: 1000\r\n\r\n" + bytes(10), {400, 0}),
    ("chunked_body", b"POST /session HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n",
     {200, 400}),
    ("audio_no_session", b"POST /audio HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd", {409}),
    ("audio_session_text", b"POST /audio?session=abc HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd", {409}),
    ("audio_session_huge", b"POST /audio?session=99999999999999999999 HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd",
     {409}),
    ("post_unknown_path", b"POST /admin HTTP/1.1\r\nContent-Length: 0\r\n\r\n", {404}),
    ("pipelined_100", request("GET", "/nope") * 100, {404}),
]


SLOW: list[tuple[str, bytes]] = [
    ("idle_connection", b""),
    ("request_line_unfinished", b"GET / HT"),
    ("headers_unfinished", b"GET / HTTP/1.1\r\nHost: x\r\n"),
    ("body_never_arrives", b"POST /audio?session=1 HTTP/1.1\r\nContent-Length: 1000\r\n\r\n"),
]


def rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def page_answers_demo(port: int) -> bool:
    code, _ = call(port, "GET", "/")
    return code == 200


DEMO_MALFORMED: list[tuple[str, bytes, set[int]]] = [  # (name, raw bytes, acceptable codes; 0: closed)
    ("method_brew", request("BREW", "/"), {405}),
    ("header_64k", request("GET", "/", headers={"X-Big": BIG}), {200}),  # within uvicorn's limit: served
    ("header_8m", request("GET", "/", headers={"X-Big": "x" * 8 * 2**20}), {0, 400, 431}),
    ("path_70k", request("GET", "/" + BIG), {404}),
    ("content_length_negative", b"POST /gradio_api/upload HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
     {0, 400}),
    ("upload_not_multipart", request("POST", "/gradio_api/upload", b"x" * 1000), {400}),
    ("body_cut_then_closed", b"POST /gradio_api/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
                             b"Content-Type: multipart/form-data; boundary=b\r\n\r\n--b\r\n", {0, 400}),
    ("garbage_line", b"\x00\xff\xfe garbage\r\n\r\n", {0, 400}),
]


def page_answers_demo_quiet(port: int) -> bool:
    try:
        return page_answers_demo(port)
    except OSError:
        return False
