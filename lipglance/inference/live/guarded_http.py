"""An http.server that stays up under abuse: a cap on threads, a deadline on reading each request, bounded bodies.

The standard library's ThreadingHTTPServer starts a thread per connection with no limit and reads with no
timeout, so a client that opens connections and sends nothing (or a byte now and then) holds threads
forever. Here:

- at most MAX_THREADS connections are served at once; one more is answered `503` at once and closed
  (without a thread);
- reading a request (its request line, headers and body) must finish within REQUEST_SECONDS of the
  connection becoming ready for it, and each read within IDLE_SECONDS; a slower client is dropped
  (between requests on a kept-alive connection the same holds, so an idle connection is closed);
- the request line and each header line are at most 64 KiB, at most 100 headers (http.server's own
  limits: `414`, `431`); bodies are read only up to what the handler allows (`body`).
"""

from __future__ import annotations

import contextlib
import io
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAX_THREADS = 16  # connections served at once; more are turned away with 503
REQUEST_SECONDS = 20.0  # to read one whole request (line, headers, body)
IDLE_SECONDS = 10.0  # for any one read of it
BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
        b"Connection: close\r\n\r\nbusy\n")


class _DeadlineReader(io.RawIOBase):
    """The socket's bytes, each read failing with TimeoutError past the handler's deadline."""

    def __init__(self, sock: socket.socket, handler: GuardedHandler) -> None:
        self.sock, self.handler = sock, handler

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self.handler.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request took too long to arrive")
        self.sock.settimeout(min(IDLE_SECONDS, left))
        return self.sock.recv_into(buffer)


class GuardedHandler(BaseHTTPRequestHandler):
    """BaseHTTPRequestHandler whose reads keep the deadlines above; `body(limit)` reads a bounded body."""

    protocol_version = "HTTP/1.1"
    deadline = 0.0

    def setup(self) -> None:
        super().setup()
        self.rfile = io.BufferedReader(_DeadlineReader(self.connection, self))

    def handle_one_request(self) -> None:
        self.deadline = time.monotonic() + REQUEST_SECONDS  # (read here: tests shorten it)
        try:
            super().handle_one_request()
        except OSError:  # reset, broken pipe, timed out while replying: this connection is over
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: a request per audio chunk

    def body(self, limit: int) -> bytes | None:
        """The request's body when its Content-Length is 0..limit (the whole body read), else None: answer
        with an error then (the connection is closed after it, the body left unread)."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= limit:
            self.close_connection = True
            return None
        data = self.rfile.read(length)
        if len(data) < length:  # the client closed before sending it all
            self.close_connection = True
            return None
        return data


class GuardedServer(ThreadingHTTPServer):
    """ThreadingHTTPServer with at most MAX_THREADS connections served at once (see the module doc)."""

    daemon_threads = True
    block_on_close = False  # server_close does not wait for clients (their reads time out anyway)

    def __init__(self, address: tuple[str, int], handler: type[GuardedHandler], max_threads: int | None = None) \
            -> None:
        self.slots = threading.BoundedSemaphore(max_threads or MAX_THREADS)
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.acquire(blocking=False):
            with contextlib.suppress(OSError):
                request.settimeout(1.0)
                request.sendall(BUSY)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()
