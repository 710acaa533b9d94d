"""`lipglance demo`: the Gradio page, driven from headless Chromium and through gradio_client."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pytest

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
gr = pytest.importorskip("gradio")

from lipglance.inference.cli.common import load_model  # noqa: E402
from lipglance.inference.cli.demo import launch  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    port = _free_port()
    app = launch(load_model(None, "cpu"), "127.0.0.1", port, block=False)
    yield f"http://127.0.0.1:{port}/"
    app.close()
    app.files.close()


def _check_video(path: str | Path) -> None:
    with av.open(str(path)) as c:
        assert c.streams.video and c.streams.audio, "a video with sound"
        frames = sum(1 for _ in c.decode(video=0))
    assert frames > 25


def test_gradio_client_generates_a_video(server: str, sample_wav: Path, astronaut_png: Path) -> None:
    from gradio_client import Client, handle_file

    client = Client(server, verbose=False)
    video, strip, _ = client.predict(handle_file(str(sample_wav)), handle_file(str(astronaut_png)),
                                     api_name="/generate")
    _check_video(video["video"] if isinstance(video, dict) else video)
    assert Path(strip).is_file()


def test_bad_input_shows_the_cli_message(server: str, astronaut_png: Path) -> None:
    from gradio_client import Client, handle_file

    client = Client(server, verbose=False)
    with pytest.raises(Exception, match="not a readable audio file") as info:
        client.predict(handle_file(str(astronaut_png)), handle_file(str(astronaut_png)), api_name="/generate")
    assert "Traceback" not in str(info.value)


def test_the_page_takes_a_transcript(server: str, sample_wav: Path, astronaut_png: Path) -> None:
    """The optional transcript reaches the aligner (an unknown word is refused with its one-line message)."""
    from gradio_client import Client, handle_file

    client = Client(server, verbose=False)
    with pytest.raises(Exception, match="dictionary lacks: zorblaxx") as info:
        client.predict(handle_file(str(sample_wav)), handle_file(str(astronaut_png)), False, "the zorblaxx",
                       api_name="/generate")
    assert "Traceback" not in str(info.value)


def test_browser_upload_generate_and_play(server: str, sample_wav: Path, astronaut_png: Path, two_faces: Path,
                                          tmp_path: Path) -> None:
    from PIL import Image

    tall = tmp_path / "tall.png"  # the astronaut on a 1800 px high white page
    canvas = np.full((1800, 512, 3), 255, np.uint8)
    canvas[600:1112] = np.asarray(Image.open(astronaut_png).convert("RGB"))
    Image.fromarray(canvas).save(tall)
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make setup as root installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        requested: list[str] = []
        page.on("request", lambda r: requested.append(r.url))
        page.goto(server)
        page.locator("#image input[type=file]").set_input_files(str(two_faces), timeout=30000)
        page.locator("#faces img").wait_for(state="visible", timeout=60000)  # the Faces panel: numbered boxes
        assert "2 faces found" in page.locator("#faces-found").inner_text()
        height = page.evaluate("() => document.body.scrollHeight")
        shown = page.locator("#faces img").bounding_box()
        assert shown is not None
        page.mouse.click(shown["x"] + shown["width"] * 0.24, shown["y"] + shown["height"] * 0.2)  # the astronaut
        page.wait_for_function("() => document.querySelector('#face input').value === '1'", timeout=30000)
        page.locator("#image input[type=file]").set_input_files(str(tall), timeout=30000)
        page.wait_for_function("() => document.querySelector('#faces-found').innerText.includes('One face')",
                               timeout=60000)
        assert abs(page.evaluate("() => document.body.scrollHeight") - height) < 60  # a tall photo is fitted
        assert not page.locator("#strip").is_visible()  # the 64x64 crops wait in a closed accordion
        page.get_by_role("tab", name="Dub a video").click()
        for own in ("#dub-audio", "#dub-video", "#dub-transcript", "#dub", "#dub-result"):
            page.locator(own).wait_for(state="visible", timeout=30000)
        assert not page.locator("#generate").is_visible()
        page.get_by_role("tab", name="Animate a photo").click()
        page.locator("#audio input[type=file]").set_input_files(str(sample_wav), timeout=30000)
        page.locator("#image input[type=file]").set_input_files(str(astronaut_png), timeout=30000)
        page.locator("#image img").wait_for(state="visible", timeout=30000)
        page.wait_for_timeout(1000)
        page.locator("#generate").click()
        video = page.locator("#result video")
        video.wait_for(state="attached", timeout=180000)
        page.wait_for_function("() => { const v = document.querySelector('#result video');"
                               " return v && v.readyState >= 1 && v.duration > 1; }", timeout=60000)
        duration = page.evaluate("() => document.querySelector('#result video').duration")
        src = video.get_attribute("src")
        assert src and duration > 1
        body = page.request.get(src).body()
        (tmp_path / "from_browser.mp4").write_bytes(body)
        _check_video(tmp_path / "from_browser.mp4")
        shot = Path(os.environ.get("GLANCE_DEMO_SCREENSHOT", tmp_path / "demo.png"))
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    external = [u for u in requested if not u.startswith((server, "data:", "blob:"))]
    assert not external, f"the page fetched from outside: {external[:5]}"
    assert shot.stat().st_size > 10000
    assert np.isfinite(duration)


@pytest.fixture(scope="module")
def two_faces(tmp_path_factory: pytest.TempPathFactory, astronaut_png: Path) -> Path:
    """Two real photos side by side: Grace Hopper's face (the larger: face 0) and the astronaut's (face 1)."""
    import matplotlib.cbook
    from PIL import Image

    hopper = Image.open(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)).convert("RGB")
    both = np.concatenate([np.asarray(Image.open(astronaut_png).convert("RGB")),
                           np.asarray(hopper.resize((400, 512)))], axis=1)
    path = tmp_path_factory.mktemp("faces") / "two.png"
    Image.fromarray(both).save(path)
    return path


def _motion(video: str | Path, box: tuple[int, int, int, int]) -> float:
    """Mean absolute change between consecutive frames in the lower half of a face box."""
    x, y, w, h = box
    with av.open(str(video)) as c:
        frames = [f.to_ndarray(format="rgb24")[y + h // 2:y + h, x:x + w].astype(np.int16) for f in c.decode(video=0)]
    return float(np.mean([np.abs(b - a).mean() for a, b in zip(frames, frames[1:], strict=False)]))


def test_the_picked_face_is_the_one_that_moves(server: str, sample_wav: Path, two_faces: Path) -> None:
    from gradio_client import Client, handle_file

    from lipglance.inference.cli.demo_faces import faces_panel
    from lipglance.io.image import read_image

    boxes = faces_panel(read_image(two_faces)).boxes
    assert len(boxes) == 2 and boxes[1][0] < 512 <= boxes[0][0]  # the astronaut is the smaller face, on the left
    client = Client(server, verbose=False)
    for face, moving, still in (("1", 1, 0), ("0 (the largest)", 0, 1)):
        video, _, note = client.predict(handle_file(str(sample_wav)), handle_file(str(two_faces)), True, "", face,
                                        api_name="/generate")
        path = video["video"] if isinstance(video, dict) else video
        assert note == f"Face {moving} moved."
        assert _motion(path, boxes[moving]) > 5 * _motion(path, boxes[still]), face


def test_page_errors_speak_the_pages_words_and_log_no_traceback(server: str, sample_wav: Path, astronaut_png: Path,
                                                                tmp_path: Path,
                                                                capfd: pytest.CaptureFixture[str]) -> None:
    from gradio_client import Client, handle_file
    from PIL import Image

    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((400, 400, 3), 200, np.uint8)).save(blank)
    client = Client(server, verbose=False)
    cases = [(astronaut_png, "3", "face 3 asked, but the image has 1 face(s) (the Faces panel numbers them"),
             (blank, "0 (the largest)", "no face found in the image: give a photo with a visible frontal face")]
    capfd.readouterr()
    for image, face, message in cases:
        with pytest.raises(Exception) as info:
            client.predict(handle_file(str(sample_wav)), handle_file(str(image)), False, "", face,
                           api_name="/generate")
        text = str(info.value)
        assert message in text and "--" not in text and "face_index" not in text and "box" not in text, text
    log = capfd.readouterr()
    assert "Traceback" not in log.err + log.out, log.err[-2000:]


def test_the_command_gives_no_share_advice(tmp_path: Path) -> None:
    import subprocess
    import sys
    import time
    import urllib.request

    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "lipglance", "demo", "--port", str(port)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()  # noqa: S310 - our own server
                break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail("the demo did not answer")
    finally:
        proc.terminate()
        out = proc.communicate(timeout=60)[0]
    assert f"lipglance demo on http://127.0.0.1:{port}" in out and "share" not in out.lower(), out
