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


def test_browser_upload_generate_and_play(server: str, sample_wav: Path, astronaut_png: Path,
                                          tmp_path: Path) -> None:
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
