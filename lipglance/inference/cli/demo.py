"""`lipglance demo`: a local Gradio page to try glance (upload or record speech, upload or pick a face).

The page calls the same `LipSync` API as `lipglance generate`; bad input shows the same one-line
message as the CLI. It listens on 127.0.0.1 by default, sends no analytics, makes no share
link, and uses system fonts so that nothing is fetched from the internet.
"""

from __future__ import annotations

import argparse
import os
import signal
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from lipglance.errors import UserError
from lipglance.inference.cli.demo_files import CLEAN_EVERY, MAX_AGE, PageFiles
from lipglance.inference.cli.dub_demo import add_dub_tab
from lipglance.inference.model.lipsync import LipSync
from lipglance.samples import sample_photos

MAX_AUDIO_SECONDS = 60.0
MAX_UPLOAD = "20mb"
ASSETS = Path(__file__).parent.parent.parent / "assets"
PANEL_PX = 420  # the height of the photo, faces and result panels: a tall photo is fitted, not a page-long scroll


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="a local web page to try glance (Gradio)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--weights", help="generator checkpoint (default: the bundled model)")
    p.set_defaults(func=run)


def lip_strip(frames: list[np.ndarray], count: int = 8) -> np.ndarray:
    """A row of `count` evenly spaced 64x64 lip frames."""
    idx = np.linspace(0, len(frames) - 1, min(count, len(frames))).round().astype(int)
    return np.hstack([frames[i] for i in idx])


def synthesize(model: LipSync, audio_path: str | None, image: np.ndarray | None, progress: Any = None,
               out_dir: str | None = None, still: bool = False, transcript: str | None = None,
               face_index: int = 0) -> tuple[str, np.ndarray, str]:
    """(path of the generated mp4, lip strip, which face moved) — raises UserError with the API's messages. A face
    photo blinks and sways a little (lipglance.inference.render.living) unless `still`. `transcript` (blank:
    none): the words spoken; the shape renderer then follows their force-aligned phones
    (lipglance.inference.speech.transcript). `face_index`: the face picked (0 = the largest)."""
    from lipglance.face import is_lip_crop
    from lipglance.inference.cli.common import MAX_SIZE, fit_photo
    from lipglance.inference.model.inputs import as_image, page_speech

    if image is None and audio_path:
        raise UserError("give a face photo or a lip image (upload one or pick an example)")
    audio = page_speech(audio_path, model.sample_rate, model.fps, MAX_AUDIO_SECONDS, "lipglance generate")
    if image is None or audio_path is None:  # (page_speech refused a missing recording)
        raise UserError("give a face photo or a lip image (upload one or pick an example)")

    rgb = fit_photo(as_image(image), MAX_SIZE)[0]  # RGBA over white; a huge photo scaled as `lipglance generate` does
    n = model.frame_count(len(audio))
    text = transcript if transcript and transcript.strip() else None
    frames, lips = [], []
    pairs = model.stream_pairs(audio, rgb, still=still, transcript=text, face_index=face_index,
                               renderer="auto" if text is None else "shape")
    for k, (frame, lip) in enumerate(pairs):
        frames.append(frame)
        lips.append(lip)
        if progress is not None and k % 10 == 0:
            progress(k / n, desc=f"frame {k}/{n}")
    fd, path = tempfile.mkstemp(prefix="lipglance-", suffix=".mp4", dir=out_dir)
    os.close(fd)
    LipSync.save(path, frames, audio_path, model.sample_rate, model.fps)  # the recording's own sound
    moved = "The lip image moved." if is_lip_crop(rgb) else f"Face {face_index} moved."
    return path, lip_strip(lips), moved


def build_app(model: LipSync, out_dir: str | None = None) -> Any:
    """The page; its jobs write their videos into `out_dir` (None: the system's temp folder)."""
    import gradio as gr

    from lipglance.inference.cli.demo_faces import face_number, page_message

    def handler(audio_path: str | None, image: np.ndarray | None, still: bool = False, transcript: str = "",
                face: str | None = None, progress: gr.Progress = gr.Progress()) -> tuple[str, np.ndarray, str]:  # noqa: B008
        try:
            video, strip, moved = synthesize(model, audio_path, image, progress, out_dir, bool(still), transcript,
                                             face_number(face))
        except UserError as e:
            raise gr.Error(page_message(e), print_exception=False) from None
        note = moved + ("" if model.trained else " Untrained model: the lips do not follow the speech yet.")
        return video, strip, note

    examples = [[str(ASSETS / "sample.wav"), str(p)] for p in sample_photos()]
    with gr.Blocks(title="lipglance", analytics_enabled=False) as app:
        gr.Markdown("# glance\nSpeech + one face or lip image -> a video of those lips saying the speech. "
                    f"Uploads up to {MAX_UPLOAD.upper()[:-2]} MB a file, speech up to {MAX_AUDIO_SECONDS:.0f} s.")
        with gr.Tab("Animate a photo", elem_id="photo-tab"):
            with gr.Row():
                audio = gr.Audio(sources=["upload", "microphone"], type="filepath", label="Speech", elem_id="audio")
                image = gr.Image(type="numpy", label="Face photo or lip image", image_mode="RGBA", elem_id="image",
                                 height=PANEL_PX)
            face = add_face_picker(gr, image)
            still = gr.Checkbox(False, label="Still: move only the mouth (no blinks or head sway)", elem_id="still")
            transcript = gr.Textbox("", lines=2, elem_id="transcript",
                                    label="Transcript (optional, English): the words spoken, for exact p/b/m "
                                          "closures")
            button = gr.Button("Generate", variant="primary", elem_id="generate")
            video = gr.Video(label="Result (with sound)", elem_id="result", height=PANEL_PX)
            note = gr.Markdown(elem_id="note")
            with gr.Accordion("What the network saw: the mouth at 8 moments (64x64 crops)", open=False):
                strip = gr.Image(show_label=False, elem_id="strip")
            button.click(handler, inputs=[audio, image, still, transcript, face], outputs=[video, strip, note],
                         api_name="generate")
            gr.Examples(examples=examples, inputs=[audio, image], label="Examples")
        with gr.Tab("Dub a video", elem_id="dub-tab"):
            add_dub_tab(gr, model, out_dir)  # cli/dub_demo.py: its own speech, video, words and result
    return app


def add_face_picker(gr: Any, image: Any) -> Any:
    """The Faces panel under the photo: the numbered preview (click a face) and the number chosen."""
    from lipglance.inference.cli.demo_faces import clicked_face, face_label, faces_panel

    with gr.Row():
        shown = gr.Image(label="Faces (click one to animate it)", interactive=False, elem_id="faces",
                         height=PANEL_PX)
        with gr.Column():
            face = gr.Dropdown([face_label(0)], value=face_label(0), label="Face to animate", elem_id="face",
                               allow_custom_value=True)  # its choices follow the photo; the API may name any
            found = gr.Markdown(elem_id="faces-found")
    boxes = gr.State([])

    def found_faces(img: np.ndarray | None) -> tuple[Any, Any, str, list[tuple[int, int, int, int]]]:
        from lipglance.inference.cli.common import MAX_SIZE, fit_photo
        from lipglance.inference.model.inputs import as_image

        if img is None:
            return None, gr.update(choices=[face_label(0)], value=face_label(0)), "", []
        try:
            panel = faces_panel(fit_photo(as_image(img), MAX_SIZE)[0])
        except UserError as e:
            return None, gr.update(choices=[face_label(0)], value=face_label(0)), str(e), []
        choices = panel.choices() or [face_label(0)]
        return panel.preview, gr.update(choices=choices, value=choices[0]), panel.summary(), panel.boxes

    def picked(box_list: list[tuple[int, int, int, int]], evt: gr.SelectData) -> Any:
        index = evt.index if isinstance(evt.index, (list, tuple)) else None
        i = clicked_face(box_list, float(index[0]), float(index[1])) if index else None
        return gr.update() if i is None else gr.update(value=face_label(i))

    picked.__annotations__["evt"] = gr.SelectData  # Gradio passes the click by this annotation (a string here)
    image.change(found_faces, inputs=[image], outputs=[shown, face, found, boxes], show_progress="minimal")
    shown.select(picked, inputs=[boxes], outputs=[face])
    return face


def launch(model: LipSync, host: str, port: int, block: bool = True) -> Any:
    """The page served on host:port; its uploads and results live in a folder of its own (`app.files`,
    lipglance.inference.cli.demo_files), removed when it stops (`block`) or at `app.files.close()`."""
    files = PageFiles()  # before Gradio makes the app: its cache goes there
    import gradio as gr

    theme = gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"],
                              font_mono=["ui-monospace", "monospace"])
    app = build_app(model, str(files.results))
    app.delete_cache = (CLEAN_EVERY, MAX_AGE)
    app.files = files
    app.queue(default_concurrency_limit=1)
    try:
        app.launch(server_name=host, server_port=port, share=False, max_file_size=MAX_UPLOAD, theme=theme,
                   prevent_thread_lock=not block, quiet=True, footer_links=[], ssr_mode=False)  # quiet: no share advice
    finally:
        if block:
            files.close()
    return app


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from lipglance.inference.cli.common import load_model

    model = load_model(args.weights, "cpu")
    try:
        import gradio  # noqa: F401
    except ImportError:
        from lipglance.install import GLANCE

        raise UserError(f"the demo needs Gradio: run `{GLANCE}` (in a checkout: `make setup`)") from None
    print(f"lipglance demo on http://{args.host}:{args.port} (Ctrl+C to stop)", flush=True)
    signal.signal(signal.SIGTERM, _stop)  # like Ctrl+C: Gradio closes the server, launch removes the page's files
    launch(model, args.host, args.port)
    return 0


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


