"""`lipglance live`: the page in headless Chromium, its microphone a fake device playing a wav; the face talks back."""

from __future__ import annotations

import base64
import shutil
import threading
import wave
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from lipglance.inference.live.server import LiveService, load_photo, serve
from lipglance.inference.model.lipsync import LipSync
from lipglance.inference.render.expression import RELEASE

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SILENCE_S, TAIL_S = 1.5, 2.0  # the fake microphone's file: silence, the speech sample, silence (Chromium loops it)


@pytest.fixture(autouse=True, scope="module")
def one_thread() -> Iterator[None]:
    """As `lipglance live` runs (see tests/test_live_stream.py)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def service(model: LipSync, astronaut_png: Path) -> LiveService:
    return LiveService(model, load_photo(str(astronaut_png)), still=True)  # still: only the mouth moves


@pytest.fixture(scope="module")
def url(service: LiveService) -> Iterator[str]:
    server = serve(service, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def _fake_microphone(speech: np.ndarray, path: Path) -> Path:
    sr = 16000
    audio = np.concatenate([np.zeros(int(SILENCE_S * sr)), speech, np.zeros(int(TAIL_S * sr))])
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def _mouth(service: LiveService, jpeg: str) -> np.ndarray:
    frame = cv2.imdecode(np.frombuffer(base64.b64decode(jpeg), np.uint8), cv2.IMREAD_GRAYSCALE)
    assert frame.shape[::-1] == service.face.size
    x0, y0, x1, y1 = service.face.warp.roi
    return frame[y0:y1, x0:x1].astype(np.float32)


def test_microphone_in_face_talking_back(service: LiveService, url: str, speech: np.ndarray,
                                         tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make setup as root installs it)")
    from playwright.sync_api import sync_playwright

    wav = _fake_microphone(speech, tmp_path / "mic.wav")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={wav}", "--autoplay-policy=no-user-gesture-required"])
        page = browser.new_page()
        page.goto(url + "?record")
        page.click("#start")
        page.wait_for_function("() => window.lipglance.error || window.lipglance.record.length >= 200", timeout=60000)
        error, record, latencies = page.evaluate("() => [lipglance.error, lipglance.record, lipglance.latencies]")
        browser.close()
    assert error is None
    indices = [r["index"] for r in record]
    assert indices == list(range(len(indices))), "every frame came back, in order"
    rms = np.array([r["rms"] for r in record])
    mouths = np.stack([_mouth(service, r["jpeg"]) for r in record])
    # frames in digital silence (the file's zeros) with 8 silent frames after them and, before them, silence long
    # enough for a grin that speech relaxed to have come back (3 time constants: render/expression.py); loud speech
    active = rms > 1e-5
    before = int(np.ceil(3 * RELEASE * 25))
    padded = np.concatenate([np.zeros(before, bool), active, np.zeros(8, bool)])
    quiet = np.array([not padded[i:i + before + 9].any() for i in range(len(active))])
    loud = rms > 0.05
    assert quiet.sum() >= 10 and loud.sum() >= 10, "the fake microphone played silence and speech"
    rest = np.median(mouths[quiet], axis=0)
    change = np.abs(mouths - rest).mean(axis=(1, 2))
    assert change[quiet].max() < 2.0, "in silence the mouth stays at rest (JPEG noise only)"
    assert change[loud].mean() > 4 * change[quiet].mean() + 2.0, "the mouth moves with the speech"
    assert latencies and np.isfinite(latencies).all()


def _post(url: str, body: bytes = b"") -> tuple[int, bytes]:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(urllib.request.Request(url, body, method="POST"), timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_protocol(url: str, service: LiveService, speech: np.ndarray) -> None:
    import json
    import struct
    import urllib.request

    with urllib.request.urlopen(url, timeout=30) as r:
        assert b"getUserMedia" in r.read()
    status, body = _post(url + "session")
    info = json.loads(body)
    assert status == 200 and info["lookahead_ms"] == 160 and (info["width"], info["height"]) == service.face.size
    pcm = (speech[:640 * 6] * 32767).astype("<i2").tobytes()
    status, body = _post(f"{url}audio?session={info['session']}", pcm)  # 6 frames in: frames 0 and 1 out
    index, length = struct.unpack_from("<II", body)
    assert status == 200 and index == 0 and body[8:10] == b"\xff\xd8"
    assert struct.unpack_from("<I", body, 8 + length)[0] == 1 and len(body) > 8 + length + 8
    assert _post(f"{url}audio?session={info['session'] - 1}", pcm)[0] == 410  # a stream that was replaced
    assert _post(f"{url}audio?session={info['session'] + 1}", pcm)[0] == 409  # one never started
    assert _post(f"{url}audio?session={info['session']}", b"\0")[0] == 400  # half a sample
    assert _post(f"{url}audio?session={info['session']}", bytes(64002))[0] == 400  # over 2 s at once


def test_cli_refuses_a_missing_image(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from lipglance.cli import main

    assert main(["live", "--image", str(tmp_path / "none.png")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such image file" in err


def test_the_face_shows_before_start_and_no_microphone_is_said_plainly(url: str, service: LiveService) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make setup as root installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:  # no fake capture device: this machine has no microphone
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--use-fake-ui-for-media-stream"])
        page = browser.new_page()
        page.goto(url)
        width, height = service.face.size
        page.wait_for_function(f"() => document.getElementById('face').width === {width}", timeout=30000)
        shown = page.evaluate("() => document.getElementById('face').toDataURL('image/png').split(',')[1]")
        before = page.inner_text("#status")
        page.click("#start")
        page.wait_for_function("() => window.lipglance.error !== null", timeout=30000)
        status = page.inner_text("#status")
        browser.close()
    frame = cv2.imdecode(np.frombuffer(base64.b64decode(shown), np.uint8), cv2.IMREAD_COLOR)
    rest = cv2.cvtColor(service.face.warp.image, cv2.COLOR_RGB2BGR)
    assert frame.shape == rest.shape == (height, width, 3)
    assert np.abs(frame.astype(np.int16) - rest).mean() < 3, "the canvas shows the face at rest before Start"
    assert before == "press Start microphone and speak"
    assert status.startswith(("No microphone found", "The browser did not allow the microphone")), status
