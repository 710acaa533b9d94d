"""The demo page's "Dub a video" tab (lipglance.inference.cli.demo): speech + an uploaded video -> dubbed.

The same `dub_stream` (lipglance.inference.video.dub) as `lipglance generate --video`; frames go straight to the
encoder (a 60-s 720p video is never held in memory). Bad input shows the CLI's one-line message.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from typing import Any

import numpy as np

from lipglance.errors import UserError
from lipglance.inference.model.lipsync import LipSync
from lipglance.inference.video.dub import DubStats, dub_stream


def dub_video(model: LipSync, audio_path: str | None, video_path: str | None, progress: Any = None,
              out_dir: str | None = None, max_seconds: float = 60.0, transcript: str | None = None) -> tuple[str, str]:
    """(path of the dubbed mp4, the summary line); raises UserError with the CLI's messages. `transcript` (blank:
    none): the words spoken, as in `lipglance generate --video --transcript`."""
    from lipglance.inference.model.inputs import page_speech

    if audio_path and not video_path:
        raise UserError("give a video with a face to dub")
    audio = page_speech(audio_path, model.sample_rate, model.fps, max_seconds, "lipglance generate --video")
    if not video_path or audio_path is None:  # (page_speech refused a missing recording)
        raise UserError("give a video with a face to dub")
    stats = DubStats()
    text = transcript if transcript and transcript.strip() else None
    frames = dub_stream(model, audio, video_path, stats=stats, transcript=text)
    n = model.frame_count(len(audio))

    def reported() -> Iterator[np.ndarray]:
        for k, frame in enumerate(frames):
            if progress is not None and k % 10 == 0:
                progress(k / n, desc=f"frame {k}/{n}")
            yield frame

    fd, path = tempfile.mkstemp(prefix="lipglance-dub-", suffix=".mp4", dir=out_dir)
    os.close(fd)
    try:
        LipSync.save(path, reported(), audio_path, model.sample_rate, model.fps)  # the recording's own sound
    except BaseException:
        if os.path.exists(path):
            os.unlink(path)
        raise
    return path, stats.summary()


def add_dub_tab(gr: Any, model: LipSync, out_dir: str | None = None) -> None:
    """The "Dub a video" tab: its own speech, video, optional words, button and result."""
    from lipglance.inference.cli.demo_faces import page_message

    def handler(audio_path: str | None, video_path: str | None, text: str = "",
                progress: Any = gr.Progress()) -> tuple[str, str]:  # noqa: B008
        try:
            return dub_video(model, audio_path, video_path, progress, out_dir, transcript=text)
        except UserError as e:
            raise gr.Error(page_message(e), print_exception=False) from None

    gr.Markdown("The video's mouth is re-rendered to the new speech in every frame; everything else is the video's.")
    with gr.Row():
        audio = gr.Audio(sources=["upload", "microphone"], type="filepath", label="New speech", elem_id="dub-audio")
        video = gr.File(label="Video with a face (mp4, mov, mkv, webm, avi, mpg)", file_types=["video"],
                        type="filepath", elem_id="dub-video")
    transcript = gr.Textbox("", lines=2, elem_id="dub-transcript",
                            label="Transcript (optional, English): the words of the new speech")
    button = gr.Button("Dub the video", variant="primary", elem_id="dub")
    result = gr.Video(label="Dubbed video (with the new speech)", elem_id="dub-result", height=420)
    note = gr.Markdown(elem_id="dub-note")
    button.click(handler, inputs=[audio, video, transcript], outputs=[result, note], api_name="dub")
