"""Write H.264 (yuv420p) + AAC mono mp4 files with PyAV, audio aligned to frame 0."""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def write_mp4(path: str | Path, frames: Iterable[np.ndarray], fps: int = 25,
              audio: np.ndarray | None = None, sample_rate: int = 16000, crf: int = 18) -> int:
    """Encode uint8 RGB frames [H, W, 3] (even H, W) and optional mono float audio; returns frame count."""
    path = Path(path)
    n = 0
    with av.open(str(path), mode="w", format="mp4") as out:
        vstream = out.add_stream("libx264", rate=fps)
        vstream.pix_fmt = "yuv420p"
        vstream.options = {"crf": str(crf), "preset": "veryfast"}
        astream = None
        if audio is not None:
            astream = out.add_stream("aac", rate=sample_rate)
            astream.layout = "mono"
        for frame in frames:
            if n == 0:
                vstream.height, vstream.width = frame.shape[:2]
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
            vf.pts = n
            vf.time_base = Fraction(1, fps)
            for packet in vstream.encode(vf):
                out.mux(packet)
            n += 1
        for packet in vstream.encode():
            out.mux(packet)
        if astream is not None and audio is not None:
            _encode_audio(out, astream, audio.astype(np.float32), sample_rate)
    return n


def _encode_audio(out: av.container.OutputContainer, stream: av.AudioStream, audio: np.ndarray,
                  sample_rate: int) -> None:
    block = 1024
    for start in range(0, len(audio), block):
        chunk = audio[start:start + block]
        af = av.AudioFrame.from_ndarray(chunk[None, :], format="flt", layout="mono")
        af.sample_rate = sample_rate
        af.pts = start
        af.time_base = Fraction(1, sample_rate)
        for packet in stream.encode(af):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)
