"""`lipglance live --image face.jpg`: a local page where the microphone drives the face, live.

Standard library only (http.server). The page (lipglance/inference/live/live.html) captures the microphone with
getUserMedia, resamples it to the model's rate in an AudioContext, and POSTs 16-bit PCM to /audio whenever it has
samples and no request is in flight; each response carries the frames that became final
(lipglance.inference.live.stream): per frame a little-endian uint32 frame index, a uint32 length, then a JPEG. Frame
i shows the audio samples [i * 640, (i + 1) * 640) of the session (16 kHz, 25 fps). POST /session starts a new
stream (one at a time: a new one replaces the old: the replaced page's next chunk is answered `410 Gone` with a line
the page shows, and it stops). It listens on 127.0.0.1 by default; browsers allow the microphone only on localhost
or https. The server keeps a cap on threads and deadlines on slow clients (lipglance.inference.live.guarded_http).
"""

from __future__ import annotations

import argparse
import json
import struct
import threading
from http import HTTPStatus
from pathlib import Path

import cv2
import numpy as np

from lipglance.errors import UserError
from lipglance.inference.cli.common import add_motion_arguments
from lipglance.inference.live.guarded_http import GuardedHandler, GuardedServer
from lipglance.inference.live.stream import LOOKAHEAD_FRAMES, LiveFace, lookahead_ms
from lipglance.inference.model.lipsync import LipSync

PAGE = Path(__file__).with_name("live.html")
MAX_CHUNK_BYTES = 2 * 16000 * 2  # two seconds of 16 kHz int16 per request at most
MAX_SIZE = 720  # px, the photo's longer side: frames are encoded as they go


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("live", help="a local page: the microphone in the browser drives the face, live")
    p.add_argument("--image", required=True, help="a face photo (or a lip crop)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--weights", help="generator checkpoint (default: the bundled model)")
    p.add_argument("--lookahead", type=int, default=LOOKAHEAD_FRAMES,
                   help=f"frames of future audio per frame (default {LOOKAHEAD_FRAMES}: "
                        f"{lookahead_ms(LOOKAHEAD_FRAMES):.0f} ms at 25 fps; fewer: sooner, less exact)")
    p.add_argument("--still", action="store_true", help="move only the mouth (no blinks or sway)")
    p.add_argument("--quality", type=int, default=85, help="JPEG quality of the frames (default 85)")
    add_motion_arguments(p)
    p.set_defaults(func=run)


class LiveService:
    """The state behind the page: the photo, the model and the current stream (thread-safe)."""

    def __init__(self, model: LipSync, image: np.ndarray, lookahead: int = LOOKAHEAD_FRAMES, still: bool = False,
                 quality: int = 85, motion: tuple[float, bool] = (1.0, False)) -> None:
        if not 1 <= quality <= 100:
            raise UserError(f"--quality {quality}: give 1..100")
        self.model, self.image, self.lookahead, self.still, self.quality = model, image, lookahead, still, quality
        self.motion = motion  # (amplitude, keep_expression), as `lipglance generate` takes them
        self.lock = threading.Lock()
        self.face = self._new_face()  # checks the photo and the lookahead now, not on the first request
        self.session = 0

    def _new_face(self) -> LiveFace:
        return LiveFace(self.model, self.image, lookahead=self.lookahead, still=self.still,
                        amplitude=self.motion[0], keep_expression=self.motion[1])

    def start(self) -> dict[str, object]:
        """A new stream: its id and what the page needs to know."""
        with self.lock:
            self.face = self._new_face()
            self.session += 1
            width, height = self.face.size
            return {"session": self.session, "sample_rate": self.model.sample_rate, "fps": self.model.fps,
                    "width": width, "height": height,
                    "lookahead_ms": lookahead_ms(self.lookahead)}

    def audio(self, session: int, pcm: bytes) -> bytes:
        """int16 little-endian samples of stream `session` -> the packed frames that became final."""
        with self.lock:
            if session != self.session:
                raise (Replaced if 0 < session < self.session else KeyError)(session)
            frames = self.face.push(np.frombuffer(pcm, "<i2"))
            first = self.face.shapes.frames_out - len(frames)
            return b"".join(_packed(first + k, self._jpeg(f)) for k, f in enumerate(frames))

    def rest_jpeg(self) -> bytes:
        """The face at rest (its mouth closed), as the page shows it before the microphone starts."""
        with self.lock:
            return self._jpeg(self.face.warp.image)

    def _jpeg(self, frame: np.ndarray) -> bytes:
        ok, data = cv2.imencode(".jpg", cv2.cvtColor(frame, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY,
                                                                                  self.quality])
        assert ok
        return data.tobytes()


class Replaced(KeyError):
    """Audio of a stream that a newer one replaced (another page or tab pressed Start)."""


REPLACED = (b"another page (or tab) started its own stream here, so this one stopped: press Start to take it "
            b"back")


def _packed(index: int, jpeg: bytes) -> bytes:
    return struct.pack("<II", index, len(jpeg)) + jpeg


def handler_for(service: LiveService) -> type[GuardedHandler]:
    class Handler(GuardedHandler):
        disable_nagle_algorithm = True  # headers and body go out at once: no 40 ms delayed-ACK stall per chunk

        def _send(self, status: int, body: bytes, kind: str) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the page went away mid-reply
                self.close_connection = True

        def do_GET(self) -> None:
            if self.path.split("?")[0] in ("/", "/index.html"):
                self._send(HTTPStatus.OK, PAGE.read_bytes(), "text/html; charset=utf-8")
            elif self.path.split("?")[0] == "/face":
                self._send(HTTPStatus.OK, service.rest_jpeg(), "image/jpeg")
            else:
                self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain")

        def do_POST(self) -> None:
            body = self.body(MAX_CHUNK_BYTES)
            if body is None or len(body) % 2:
                self.close_connection = True
                self._send(HTTPStatus.BAD_REQUEST, b"send at most 2 s of int16 samples", "text/plain")
                return
            path, _, query = self.path.partition("?")
            if path == "/session":
                self._send(HTTPStatus.OK, json.dumps(service.start()).encode(), "application/json")
            elif path == "/audio":
                try:
                    frames = service.audio(int(query.removeprefix("session=")), body)
                except Replaced:
                    self._send(HTTPStatus.GONE, REPLACED, "text/plain; charset=utf-8")
                    return
                except (KeyError, ValueError):
                    self._send(HTTPStatus.CONFLICT, b"stale or unknown session", "text/plain")
                    return
                self._send(HTTPStatus.OK, frames, "application/octet-stream")
            else:
                self._send(HTTPStatus.NOT_FOUND, b"not found", "text/plain")

    return Handler


def serve(service: LiveService, host: str, port: int) -> GuardedServer:
    """A server bound to host:port (port 0: any free one); call `serve_forever` on it."""
    try:
        return GuardedServer((host, port), handler_for(service))
    except OSError as e:
        raise UserError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None


def load_photo(path: str) -> np.ndarray:
    from lipglance.inference.cli.common import fit_photo
    from lipglance.inference.model.inputs import as_image

    if not Path(path).is_file():
        raise UserError(f"{path}: no such image file")
    return fit_photo(as_image(path), MAX_SIZE)[0]


def run(args: argparse.Namespace) -> int:
    import torch

    from lipglance.inference.cli.common import load_model

    torch.set_num_threads(1)  # a window is too small to share: on 2 busy cores 2 threads are ~30x slower than 1
    photo = load_photo(args.image)
    service = LiveService(load_model(args.weights, "cpu"), photo, args.lookahead, args.still, args.quality,
                          (args.amplitude, args.keep_expression))
    server = serve(service, args.host, args.port)
    print(f"lipglance live on http://{args.host}:{server.server_address[1]}/ (Ctrl+C to stop)", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0
