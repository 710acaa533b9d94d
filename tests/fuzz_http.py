"""Raw HTTP for the server fuzz cases (tests/test_fuzz_servers.py): loopback sockets, bounded in time.

Each helper opens its own connection to 127.0.0.1, sends exactly the bytes given (well-formed or not) and
reads what comes back until the server closes or a timeout; nothing here goes beyond loopback.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import struct
import time
from collections.abc import Iterator

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
