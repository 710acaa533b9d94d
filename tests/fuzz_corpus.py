"""Corrupt and odd inputs for `lipglance generate`: each case builds its files in its own folder and names the argv.

The contract every case checks (tests/test_fuzz.py): the command ends either in success with a valid
mp4 (H.264 + AAC, the expected frame count) or in exactly one line on stderr, exit code 2 and nothing
written (the folder holds what it held before: no output, no --frames folder, no hidden temp file).
`expect` says which outcome a case must have ("ok", "error") or "any" where both are fine.
"""

from __future__ import annotations

import io
import struct
import wave
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np
from PIL import Image

RATE = 16000


@dataclass
class Case:
    name: str
    build: Callable[[Path, Path], list[str]]  # (case folder, shared assets folder) -> extra argv
    expect: str = "any"  # "ok", "error" or "any"
    fast: bool = False  # in the default (fast) subset
    subprocess: bool = False  # needs a real process (exit code, segfault, signal, rlimit, C-level stderr)
    limits: dict[str, int] = field(default_factory=dict)  # rlimits for the subprocess: {"fsize": bytes}


# ---------------------------------------------------------------- shared assets


def make_assets(root: Path) -> None:
    """speech.wav (0.6 s of noise bursts), lips.png (a 64x64 lip crop), face.png (a photo with one face)."""
    import skimage.data

    rng = np.random.default_rng(0)
    t = np.arange(int(0.6 * RATE)) / RATE
    speech = (0.3 * np.sin(2 * np.pi * 180 * t) * (np.sin(2 * np.pi * 3 * t) > 0)
              + 0.02 * rng.standard_normal(len(t))).astype(np.float32)
    write_wav(root / "speech.wav", speech, RATE)
    photo = Image.open(Path(skimage.data.__file__).parent / "astronaut.png").convert("RGB")
    photo.crop((190, 160, 290, 260)).resize((64, 64)).save(root / "lips.png")
    photo.resize((256, 256)).save(root / "face.png")


def write_wav(path: Path, samples: np.ndarray, rate: int, width: int = 2, channels: int = 1) -> None:
    """PCM WAV of float samples in [-1, 1] (width 1: unsigned 8-bit, 2, 3 or 4 bytes)."""
    x = np.clip(np.asarray(samples, np.float64), -1, 1)
    x = np.repeat(x[:, None], channels, axis=1).reshape(-1)
    if width == 1:
        data = (x * 127 + 128).round().astype(np.uint8).tobytes()
    elif width == 3:
        v = (x * (2**23 - 1)).round().astype(np.int32)
        data = np.stack([v & 255, (v >> 8) & 255, (v >> 16) & 255], axis=1).astype(np.uint8).tobytes()
    else:
        data = (x * (2 ** (8 * width - 1) - 1)).round().astype(f"<i{width}").tobytes()
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(data)


def float_wav(path: Path, samples: np.ndarray, rate: int = RATE, bits: int = 32) -> None:
    """IEEE-float WAV (format tag 3), any values (NaN and inf included)."""
    data = np.asarray(samples, f"<f{bits // 8}").tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, rate, rate * bits // 8, bits // 8, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)


def odd_wav(tag: int, bits: int = 16, sub_format: bytes | None = None, seconds: float = 1.0) -> bytes:
    """A RIFF/WAVE file with format tag `tag` and `bits` per sample holding `seconds` of zeros at 16 kHz mono;
    with `sub_format` (16 bytes), an "extensible" header (tag 0xFFFE) naming that sub-format GUID."""
    data = bytes(int(seconds * RATE) * 2)
    fmt = struct.pack("<HHIIHH", 0xFFFE if sub_format else tag, 1, RATE, RATE * 2, 2, bits)
    if sub_format is not None:
        fmt += struct.pack("<HHI", 22, bits, 4) + sub_format
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", len(body)) + body


UNDECODABLE_WAVS = {  # issue 28, 1: headers no decoder takes (PyAV gives a stream without a codec)
    "wav_tag_ffff": odd_wav(0xFFFF), "wav_tag_0": odd_wav(0), "wav_0_bits": odd_wav(1, bits=0),
    "wav_extensible_garbage": odd_wav(0, sub_format=bytes(range(0x99, 0xA9))),
}


def pcm_wav_header(rate: int, n_bytes: int, channels: int = 1) -> bytes:
    fmt = struct.pack("<HHIIHH", 1, channels, rate, (rate * 2 * channels) & 0xFFFFFFFF, (2 * channels) & 0xFFFF, 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", n_bytes)
    return b"RIFF" + struct.pack("<I", min(len(body) + n_bytes, 0xFFFFFFFF)) + body


def encoded_audio(path: Path, fmt: str, codec: str, rate: int, seconds: float, layout: str = "mono") -> None:
    """A sine sweep encoded with PyAV (mp3, adts, ogg, flac, ...)."""
    n = int(seconds * rate)
    x = (0.3 * np.sin(2 * np.pi * np.linspace(150, 900, n) * np.arange(n) / rate)).astype(np.float32)
    ch = 2 if layout == "stereo" else 1
    with av.open(str(path), "w", format=fmt) as out:
        s = out.add_stream(codec, rate=rate)
        s.layout = layout
        for start in range(0, n, 4096):
            chunk = np.repeat(x[None, start:start + 4096], ch, axis=0)
            fr = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk), format="fltp", layout=layout)
            fr.sample_rate = rate
            for p in s.encode(fr):
                out.mux(p)
        for p in s.encode():
            out.mux(p)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_with_header(width: int, height: int, rows: int = 4) -> bytes:
    """A PNG whose IHDR claims width x height (grey), holding only `rows` rows of zeros."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = zlib.compress(b"\0" * ((width + 1) * rows))
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", data) + png_chunk(b"IEND", b"")


def png_bomb(side: int) -> bytes:
    """A real decompression bomb: a side x side grey PNG of zeros, whole (about 1.2 MB for 20000 px)."""
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    z = zlib.compressobj(9)
    row = b"\0" * (side + 1)
    parts = [z.compress(row) for _ in range(side)]
    parts.append(z.flush())
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", b"".join(parts))
            + png_chunk(b"IEND", b""))


def jpeg_with_size(width: int, height: int) -> bytes:
    """A small real JPEG whose SOF size field is rewritten to width x height."""
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (120, 90, 80)).save(buf, "JPEG")
    data = bytearray(buf.getvalue())
    i = 2
    while i < len(data):
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            data[i + 5:i + 9] = struct.pack(">HH", height, width)
            break
        i += 2 + length
    return bytes(data)


def image_bytes(img: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


# ---------------------------------------------------------------- the cases


def _args(audio: str | Path, image: str | Path, out: str | Path = "out.mp4", *extra: str) -> list[str]:
    return ["--audio", str(audio), "--image", str(image), "-o", str(out), *extra]


def _audio_case(name: str, make: Callable[[Path], None], expect: str = "any", fast: bool = False,
                ext: str = "wav", **kw: object) -> Case:
    def build(d: Path, assets: Path) -> list[str]:
        path = d / f"in.{ext}"
        make(path)
        return _args(path, assets / "lips.png", d / "out.mp4")
    return Case(name, build, expect, fast, **kw)  # type: ignore[arg-type]


def _image_case(name: str, make: Callable[[Path], None], expect: str = "any", fast: bool = False,
                ext: str = "png", extra: tuple[str, ...] = (), **kw: object) -> Case:
    def build(d: Path, assets: Path) -> list[str]:
        path = d / f"in.{ext}"
        make(path)
        return _args(assets / "speech.wav", path, d / "out.mp4", *extra)
    return Case(name, build, expect, fast, **kw)  # type: ignore[arg-type]


def _speech(seconds: float = 0.5, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)


def audio_cases() -> list[Case]:
    cases: list[Case] = []
    rng = np.random.default_rng(1)
    good = io.BytesIO()
    # Truncated WAVs: header only, mid-header, a few samples, half.
    for cut in (0, 4, 12, 40, 44, 46, 100, 700, 2000, 8000):
        def make(p: Path, cut: int = cut) -> None:
            write_wav(p, _speech(), RATE)
            p.write_bytes(p.read_bytes()[:cut])
        cases.append(_audio_case(f"wav_truncated_{cut}", make, "error" if cut < 1324 else "ok", fast=cut in (0, 44)))
    # Truncated compressed files.
    for ext, fmt, codec in (("mp3", "mp3", "libmp3lame"), ("flac", "flac", "flac"), ("ogg", "ogg", "libopus"),
                            ("m4a", "mp4", "aac")):
        for frac in (0.05, 0.5):
            def make(p: Path, fmt: str = fmt, codec: str = codec, frac: float = frac) -> None:
                encoded_audio(p, fmt, codec, 44100 if codec != "libopus" else 48000, 1.0)
                p.write_bytes(p.read_bytes()[: int(len(p.read_bytes()) * frac)])
            cases.append(_audio_case(f"{ext}_truncated_{frac}", make, ext=ext, fast=frac == 0.5 and ext == "mp3"))
    # Random bytes under audio names, and after a valid RIFF/WAVE header.
    for i, ext in enumerate(("wav", "mp3", "flac", "ogg", "m4a", "aac", "wav", "mp3", "opus", "webm")):
        blob = rng.integers(0, 256, int(rng.integers(1, 20000)), dtype=np.uint8).tobytes()
        cases.append(_audio_case(f"random_bytes_{i}.{ext}", lambda p, b=blob: p.write_bytes(b), ext=ext,
                                 fast=i < 2))
    for i in range(5):
        blob = rng.integers(0, 256, 16000, dtype=np.uint8).tobytes()
        cases.append(_audio_case(f"wav_header_random_body_{i}", lambda p, b=blob: p.write_bytes(
            pcm_wav_header(RATE, len(b)) + b), "ok", fast=i == 0))
    # NaN, inf and huge floats (issue 19, 1): NaN/inf refused before any frame; 1e30 is clipped.
    for label, value in (("nan", np.nan), ("inf", np.inf), ("neg_inf", -np.inf), ("one_nan", None)):
        def make(p: Path, value: float | None = value) -> None:
            x = _speech().astype(np.float64)
            if value is None:
                x[1234] = np.nan
            else:
                x[::7] = value
            float_wav(p, x)
        cases.append(_audio_case(f"float_wav_{label}", make, "error", fast=True))
    for bits in (32, 64):
        cases.append(_audio_case(f"float{bits}_wav_1e30", lambda p, b=bits: float_wav(p, _speech() * 1e30, bits=b),
                                 "ok", fast=bits == 32))
    # Sample widths, rates and channels that are fine.
    for width in (1, 2, 3, 4):
        cases.append(_audio_case(f"pcm_{8 * width}bit", lambda p, w=width: write_wav(p, _speech(), RATE, w), "ok",
                                 fast=width == 1))
    for rate in (4000, 8000, 11025, 22050, 44100, 48000, 96000, 192000):
        cases.append(_audio_case(f"rate_{rate}", lambda p, r=rate: write_wav(p, _speech(0.5, r), r), "ok",
                                 fast=rate == 96000))
    for ch in (2, 6, 8):
        cases.append(_audio_case(f"channels_{ch}", lambda p, c=ch: write_wav(p, _speech(), RATE, 2, c), "ok",
                                 fast=ch == 6))
    # Headers that lie or are out of range (issue 19, 3): refused from the header, before decoding.
    for rate in (1, 100, 3999):
        def make(p: Path, rate: int = rate) -> None:
            data = (_speech(3.3) * 20000).astype("<i2").tobytes()  # 106 KB
            p.write_bytes(pcm_wav_header(rate, len(data)) + data)
        cases.append(_audio_case(f"wav_header_{rate}_hz", make, "error", fast=rate == 1))
    cases.append(Case("wav_header_1_hz_memory", _one_hz_build, "error", fast=True, subprocess=True,
                      limits={"maxrss_mb": 1500}))
    cases.append(_audio_case("wav_claims_4gb", lambda p: p.write_bytes(
        pcm_wav_header(RATE, 0xFFFFFFF0) + (_speech() * 20000).astype("<i2").tobytes()), "ok"))
    cases.append(_audio_case("wav_claims_200_channels", lambda p: p.write_bytes(
        pcm_wav_header(RATE, 16000, channels=200) + bytes(16000)), "error"))
    # Rate changes mid-stream (issue 19, 2): two files joined with cat decode piece by piece.
    for ext, fmt, codec, rates in (("aac", "adts", "aac", (16000, 44100)), ("mp3", "mp3", "libmp3lame", (22050, 48000)),
                                   ("aac", "adts", "aac", (48000, 8000)), ("mp3", "mp3", "libmp3lame", (44100, 16000))):
        def make(p: Path, fmt: str = fmt, codec: str = codec, rates: tuple[int, int] = rates) -> None:
            parts = []
            for i, r in enumerate(rates):
                q = p.with_name(f"part{i}.{p.suffix}")
                encoded_audio(q, fmt, codec, r, 0.6, "stereo" if i else "mono")
                parts.append(q.read_bytes())
                q.unlink()
            p.write_bytes(b"".join(parts))
        cases.append(_audio_case(f"cat_{ext}_{rates[0]}_{rates[1]}", make, "ok", ext=ext,
                                 fast=rates in ((16000, 44100), (22050, 48000))))
    # A 16 kHz flac followed by a 100 Hz one: the header is fine, the second part's rate is refused.
    def low_rate_tail(p: Path) -> None:
        encoded_audio(p.with_name("hi.flac"), "flac", "flac", RATE, 0.6)
        encoded_audio(p.with_name("lo.flac"), "flac", "flac", 100, 2.0)
        p.write_bytes(p.with_name("hi.flac").read_bytes() + p.with_name("lo.flac").read_bytes())
        p.with_name("hi.flac").unlink()
        p.with_name("lo.flac").unlink()
    cases.append(_audio_case("cat_flac_16000_100", low_rate_tail, "error", ext="flac"))
    # Twenty 50 ms mp3 files at alternating rates joined: one undecodable packet in five, refused.
    cases.append(_audio_case("cat_mp3_twenty_seams", _many_seams, "error", ext="mp3"))
    # Other formats that decode.
    for ext, fmt, codec, rate in (("mp3", "mp3", "libmp3lame", 44100), ("flac", "flac", "flac", 96000),
                                  ("ogg", "ogg", "libopus", 48000), ("m4a", "mp4", "aac", 22050),
                                  ("opus", "ogg", "libopus", 48000)):
        cases.append(_audio_case(f"encoded_{ext}_{rate}", lambda p, f=fmt, c=codec, r=rate: encoded_audio(
            p, f, c, r, 0.6), "ok", ext=ext))
    # Too short, silent, missing, empty, folder, an image, a video without sound.
    cases.append(_audio_case("one_sample", lambda p: write_wav(p, np.zeros(1), RATE), "error", fast=True))
    cases.append(_audio_case("under_one_frame", lambda p: write_wav(p, np.zeros(600), RATE), "error"))
    cases.append(_audio_case("exactly_one_frame", lambda p: write_wav(p, _speech(0.04), RATE), "ok"))
    cases.append(_audio_case("silence", lambda p: write_wav(p, np.zeros(8000), RATE), "ok"))
    cases.append(_audio_case("empty_file", lambda p: p.write_bytes(b""), "error", fast=True))
    for ext in ("mp3", "flac"):  # issue 28, 2: PyAV printed the failed seek of an empty file as a traceback
        cases.append(_audio_case(f"empty_{ext}", lambda p: p.write_bytes(b""), "error", fast=True, ext=ext))
    for name, data in UNDECODABLE_WAVS.items():
        cases.append(_audio_case(name, lambda p, b=data: p.write_bytes(b), "error", fast=True))
    cases.append(_audio_case("folder", lambda p: p.mkdir(), "error", fast=True))
    cases.append(_audio_case("missing", lambda p: None, "error"))
    cases.append(_audio_case("png_as_audio", lambda p: Image.new("RGB", (32, 32)).save(p, "PNG"), "error"))
    cases.append(_audio_case("video_without_sound", _silent_video, "error", ext="mp4"))
    cases.append(_audio_case("video_with_sound", _video_with_sound, "ok", ext="mp4"))
    del good
    return cases


def _many_seams(p: Path) -> None:
    parts = []
    for i in range(20):
        q = p.with_name(f"part{i}.mp3")
        encoded_audio(q, "mp3", "libmp3lame", (22050, 48000)[i % 2], 0.05)
        parts.append(q.read_bytes())
        q.unlink()
    p.write_bytes(b"".join(parts))


def _one_hz_build(d: Path, assets: Path) -> list[str]:
    path = d / "one_hz.wav"
    data = (_speech(3.3) * 20000).astype("<i2").tobytes()
    path.write_bytes(pcm_wav_header(1, len(data)) + data)
    return _args(path, assets / "lips.png", d / "out.mp4")


def _silent_video(p: Path) -> None:
    from lipglance.io.video import write_video

    write_video(p, [np.full((32, 32, 3), 90, np.uint8)] * 10, 25, None)


def _video_with_sound(p: Path) -> None:
    from lipglance.io.video import write_video

    write_video(p, [np.full((32, 32, 3), 90, np.uint8)] * 15, 25, _speech(0.6), RATE)


def image_cases() -> list[Case]:
    cases: list[Case] = []
    rng = np.random.default_rng(2)
    lips = Image.new("RGB", (64, 64))

    def lips_img(assets: Path) -> Image.Image:
        return Image.open(assets / "lips.png").convert("RGB")

    def from_lips(name: str, convert: Callable[[Image.Image], bytes], expect: str = "ok", fast: bool = False,
                  ext: str = "png", extra: tuple[str, ...] = ()) -> Case:
        def build(d: Path, assets: Path) -> list[str]:
            path = d / f"in.{ext}"
            path.write_bytes(convert(lips_img(assets)))
            return _args(assets / "speech.wav", path, d / "out.mp4", *extra)
        return Case(name, build, expect, fast)

    # Truncated PNG / JPEG / GIF / WebP files.
    for fmt, ext in (("PNG", "png"), ("JPEG", "jpg"), ("GIF", "gif"), ("WEBP", "webp")):
        for frac in (0.0, 0.02, 0.3, 0.9):
            cases.append(from_lips(f"{ext}_truncated_{frac}", lambda im, f=fmt, fr=frac: image_bytes(im, f)[
                : int(len(image_bytes(im, f)) * fr)], "any", fast=frac == 0.3 and fmt in ("PNG", "JPEG"), ext=ext))
    # Random bytes under image names, and a PNG signature followed by garbage.
    for i, ext in enumerate(("png", "jpg", "bmp", "gif", "webp", "tiff", "png", "jpg", "ico", "ppm")):
        blob = rng.integers(0, 256, int(rng.integers(1, 30000)), dtype=np.uint8).tobytes()
        cases.append(_image_case(f"random_bytes_{i}.{ext}", lambda p, b=blob: p.write_bytes(b), "error",
                                 fast=i < 2, ext=ext))
    for i in range(4):
        blob = rng.integers(0, 256, 5000, dtype=np.uint8).tobytes()
        cases.append(_image_case(f"png_signature_garbage_{i}", lambda p, b=blob: p.write_bytes(
            b"\x89PNG\r\n\x1a\n" + b), "error"))
    # Bit flips in a real PNG and JPEG (libpng/libjpeg warnings must not reach stderr).
    for fmt, ext in (("PNG", "png"), ("JPEG", "jpg")):
        for i in range(4):
            def flip(im: Image.Image, f: str = fmt, i: int = i) -> bytes:
                data = bytearray(image_bytes(im, f))
                r = np.random.default_rng(100 + i)
                for pos in r.integers(20, len(data), 8):
                    data[pos] ^= 1 << int(r.integers(0, 8))
                return bytes(data)
            cases.append(from_lips(f"{ext}_bitflips_{i}", flip, "any", fast=i == 0, ext=ext))
    # Decompression bombs and headers over the pixel limits (issue 19, 4 and 5): refused from the header
    # (10000x10000 makes PIL warn first: the warning must not reach stderr).
    for w, h in ((20000, 20000), (60000, 1), (1, 60000), (65000, 65000), (16385, 16), (8000, 8000), (10000, 10000)):
        cases.append(_image_case(f"png_header_{w}x{h}", lambda p, w=w, h=h: p.write_bytes(png_with_header(w, h)),
                                 "error", fast=(w, h) == (60000, 1)))
    for w, h in ((20000, 20000), (65000, 65000), (65000, 2), (16, 65000)):
        cases.append(_image_case(f"jpeg_header_{w}x{h}", lambda p, w=w, h=h: p.write_bytes(jpeg_with_size(w, h)),
                                 "error", fast=(w, h) == (20000, 20000), ext="jpg"))
    cases.append(Case("png_bomb_20000_memory", _bomb_build, "error", fast=False, subprocess=True,
                      limits={"maxrss_mb": 1500}))
    cases.append(_image_case("png_header_0x0", lambda p: p.write_bytes(png_with_header(0, 0)), "error"))
    # Tiny and odd sizes: 1x1 .. lip crops of odd sizes with every renderer (issue 19, 7).
    for side in (1, 2, 8, 15):
        cases.append(_image_case(f"tiny_{side}px", lambda p, s=side: Image.new("RGB", (s, s), (150, 90, 80)).save(p),
                                 "error", fast=side == 1))
    cases.append(_image_case("line_1x500", lambda p: Image.new("RGB", (1, 500)).save(p), "error"))
    cases.append(_image_case("line_500x1", lambda p: Image.new("RGB", (500, 1)).save(p), "error"))
    for side in (16, 17, 63, 65, 99, 101, 159):
        for renderer in ("auto", "warp", "network"):
            def resized(im: Image.Image, s: int = side) -> bytes:
                return image_bytes(im.resize((s, s)), "PNG")
            cases.append(from_lips(f"lips_{side}px_{renderer}", resized, "any", extra=("--renderer", renderer),
                                   fast=side in (17, 65) and renderer == "warp"))
    cases.append(from_lips("lips_65x63_warp", lambda im: image_bytes(im.resize((65, 63)), "PNG"), "any",
                           extra=("--renderer", "warp")))
    # Modes: RGBA, LA, L, 1, P (with transparency), 16-bit grey and RGB, CMYK, animated GIF/PNG, WebP, TIFF, BMP.
    modes: list[tuple[str, Callable[[Image.Image], bytes], str]] = [
        ("rgba", lambda im: image_bytes(im.convert("RGBA"), "PNG"), "png"),
        ("rgba_transparent", lambda im: image_bytes(Image.new("RGBA", im.size, (0, 0, 0, 0)), "PNG"), "png"),
        ("la", lambda im: image_bytes(im.convert("LA"), "PNG"), "png"),
        ("grey", lambda im: image_bytes(im.convert("L"), "PNG"), "png"),
        ("bilevel", lambda im: image_bytes(im.convert("1"), "PNG"), "png"),
        ("palette", lambda im: image_bytes(im.convert("P"), "PNG"), "png"),
        ("palette_transparency", lambda im: image_bytes(im.convert("P"), "PNG", transparency=0), "png"),
        ("grey16", lambda im: image_bytes(Image.fromarray(
            (np.asarray(im.convert("L"), np.uint16) * 257).astype(np.uint16)), "PNG"), "png"),
        ("rgb16", _rgb16_png, "png"),
        ("cmyk_jpeg", lambda im: image_bytes(im.convert("CMYK"), "JPEG"), "jpg"),
        ("grey_jpeg", lambda im: image_bytes(im.convert("L"), "JPEG"), "jpg"),
        ("progressive_jpeg", lambda im: image_bytes(im, "JPEG", progressive=True), "jpg"),
        ("exif_rotated_jpeg", _exif_rotated, "jpg"),
        ("animated_gif", lambda im: image_bytes(im, "GIF", save_all=True, append_images=[im.rotate(90)] * 3), "gif"),
        ("animated_png", lambda im: image_bytes(im, "PNG", save_all=True, append_images=[im.rotate(90)] * 3), "png"),
        ("webp", lambda im: image_bytes(im, "WEBP"), "webp"),
        ("tiff", lambda im: image_bytes(im, "TIFF"), "tiff"),
        ("tiff_cmyk", lambda im: image_bytes(im.convert("CMYK"), "TIFF"), "tiff"),
        ("bmp", lambda im: image_bytes(im, "BMP"), "bmp"),
        ("float_tiff", lambda im: image_bytes(Image.fromarray(np.asarray(im.convert("L"), np.float32)), "TIFF"),
         "tiff"),
        ("jpeg_named_png", lambda im: image_bytes(im, "JPEG"), "png"),
        ("png_bad_srgb", _png_bad_iccp, "png"),
    ]
    for name, convert, ext in modes:
        cases.append(from_lips(f"mode_{name}", convert, "ok", ext=ext,
                               fast=name in ("rgba", "grey16", "cmyk_jpeg", "animated_gif", "png_bad_srgb")))
    # No face, a face, missing, empty, folder, audio as image.
    cases.append(_image_case("no_face_photo", lambda p: Image.new("RGB", (400, 300), (128, 128, 128)).save(p),
                             "error"))
    cases.append(Case("face_photo", lambda d, a: _args(a / "speech.wav", a / "face.png", d / "out.mp4"), "ok", True))
    for index in (-1, -7, 3):  # issue 19, 9
        cases.append(Case(f"face_index_{index}", lambda d, a, i=index: _args(
            a / "speech.wav", a / "face.png", d / "out.mp4", "--face-index", str(i)), "error", fast=index != 3))
    cases.append(_image_case("image_empty_file", lambda p: p.write_bytes(b""), "error", fast=True))
    cases.append(_image_case("image_folder", lambda p: p.mkdir(), "error", fast=True))
    cases.append(_image_case("image_missing", lambda p: None, "error"))
    cases.append(_image_case("wav_as_image", lambda p: write_wav(p, _speech(), RATE), "error"))
    del lips
    return cases


def _rgb16_png(im: Image.Image) -> bytes:
    """A 16-bit RGB PNG (PIL cannot write one: PyAV's png encoder can)."""
    a = (np.asarray(im, np.uint16) * 257).astype(">u2")
    h, w = a.shape[:2]
    raw = b"".join(b"\0" + a[y].tobytes() for y in range(h))
    ihdr = struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(raw)) + \
        png_chunk(b"IEND", b"")


def _exif_rotated(im: Image.Image) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90
    return image_bytes(im, "JPEG", exif=exif.tobytes())


def _png_bad_iccp(im: Image.Image) -> bytes:
    """A PNG with a broken iCCP chunk (libpng: 'iCCP: known incorrect sRGB profile' and friends)."""
    data = image_bytes(im, "PNG")
    iccp = png_chunk(b"iCCP", b"bad profile\0\0" + zlib.compress(b"\0" * 100))
    return data[:33] + iccp + data[33:]


def _bomb_build(d: Path, assets: Path) -> list[str]:
    path = d / "bomb.png"
    path.write_bytes(png_bomb(20000))
    return _args(assets / "speech.wav", path, d / "out.mp4")


def output_cases() -> list[Case]:
    cases: list[Case] = []

    def out_case(name: str, out: Callable[[Path], str], expect: str, fast: bool = False,
                 extra: Callable[[Path], list[str]] = lambda d: [], **kw: object) -> Case:
        def build(d: Path, assets: Path) -> list[str]:
            return _args(assets / "speech.wav", assets / "lips.png", out(d), *extra(d))
        return Case(name, build, expect, fast, **kw)  # type: ignore[arg-type]

    def mkdir(p: Path) -> Path:
        p.mkdir()
        return p

    def touch(p: Path) -> Path:
        p.write_bytes(b"x")
        return p

    cases.append(out_case("out_existing_folder", lambda d: str(mkdir(d / "o.mp4")), "error", True))
    cases.append(out_case("out_under_proc", lambda d: "/proc/glance-fuzz.mp4", "error", True))
    cases.append(out_case("out_under_sys", lambda d: "/sys/glance-fuzz.mp4", "error"))
    cases.append(out_case("out_missing_folder", lambda d: str(d / "nope" / "o.mp4"), "ok"))  # made (issue 18)
    cases.append(out_case("out_parent_is_file", lambda d: str(touch(d / "f") / "o.mp4"), "error", True))
    cases.append(out_case("out_not_mp4", lambda d: str(d / "o.avi"), "error"))
    cases.append(out_case("out_no_suffix", lambda d: str(d / "o"), "error"))
    cases.append(out_case("out_overwrites_file", lambda d: str(touch(d / "o.mp4")), "ok"))
    cases.append(out_case("out_upper_suffix", lambda d: str(d / "O.MP4"), "ok"))
    cases.append(out_case("out_dev_null", lambda d: "/dev/null", "error"))
    cases.append(out_case("out_non_utf8_name", lambda d: str(d / "caf\udce9.mp4"), "ok", True))
    cases.append(out_case("frames_names_a_file", lambda d: str(d / "o.mp4"), "error", True,
                          extra=lambda d: ["--frames", str(touch(d / "frames"))]))
    cases.append(out_case("frames_under_proc", lambda d: str(d / "o.mp4"), "error", True,
                          extra=lambda d: ["--frames", "/proc/glance-fuzz-frames"]))
    cases.append(out_case("frames_parent_is_file", lambda d: str(d / "o.mp4"), "error",
                          extra=lambda d: ["--frames", str(touch(d / "f") / "frames")]))
    cases.append(out_case("frames_new_nested", lambda d: str(d / "o.mp4"), "ok",
                          extra=lambda d: ["--frames", str(d / "a" / "b" / "frames")]))
    cases.append(out_case("frames_then_bad_audio", lambda d: str(d / "o.mp4"), "error",
                          extra=lambda d: ["--frames", str(d / "frames"), "--audio", str(_nan_wav(d))]))
    # Disk full (issue 19, 8): a file size limit makes writes fail like a full disk, mid-way.
    for limit, frames in ((2000, False), (5000, False), (6000, True)):
        cases.append(out_case(f"disk_full_{limit}{'_frames' if frames else ''}", lambda d: str(d / "o.mp4"),
                              "error", fast=limit == 5000 or frames, subprocess=True, limits={"fsize": limit},
                              extra=(lambda d: ["--frames", str(d / "frames")]) if frames else (lambda d: [])))
    return cases


def _nan_wav(d: Path) -> Path:
    p = d / "nan.wav"
    x = _speech().astype(np.float64)
    x[100] = np.nan
    float_wav(p, x)
    return p


def checkpoint_cases() -> list[Case]:
    """Tampered generator checkpoints, re-signed (matching SHA-256), given with --weights."""
    from lipglance.checkpoint import load_checkpoint, save_checkpoint
    from lipglance.inference.model.lipsync import DEFAULT_WEIGHTS

    def tamper(name: str, edit: Callable[[dict, dict, dict], None], expect: str = "error",
               fast: bool = False) -> Case:
        def build(d: Path, assets: Path) -> list[str]:
            ckpt = load_checkpoint(DEFAULT_WEIGHTS)
            tensors, cfg, extra = dict(ckpt.tensors), ckpt.config.to_dict(), dict(ckpt.extra)
            edit(tensors, cfg, extra)
            from lipglance.config import GlanceConfig, _apply

            config = _apply(GlanceConfig(), cfg, "")  # unvalidated: the loader must validate
            save_checkpoint(d / "w.safetensors", tensors, config, "generator", extra)
            return [*_args(assets / "speech.wav", assets / "lips.png", d / "out.mp4"), "--weights",
                    str(d / "w.safetensors")]
        return Case(f"ckpt_{name}", build, expect, fast)

    def first_weight(t: dict) -> str:
        return next(k for k, v in t.items() if v.ndim >= 2 and not k.startswith("motion."))

    def set_audio(key: str, value: object) -> Callable[[dict, dict, dict], None]:
        return lambda t, c, e: c["audio"].__setitem__(key, value)

    return [
        tamper("unchanged", lambda t, c, e: None, "ok"),
        tamper("all_nan", lambda t, c, e: t.update({k: v.float() * float("nan") for k, v in t.items()
                                                    if v.is_floating_point()}), fast=True),
        tamper("one_inf", lambda t, c, e: t[first_weight(t)].view(-1).__setitem__(0, float("inf"))),
        tamper("missing_tensor", lambda t, c, e: t.pop(first_weight(t)), fast=True),
        tamper("extra_tensor", lambda t, c, e: t.update({"decoder.extra.weight": t[first_weight(t)].clone()})),
        tamper("reshaped_tensor", lambda t, c, e: t.update({first_weight(t): t[first_weight(t)].reshape(-1)}),
               fast=True),
        tamper("transposed_tensor", lambda t, c, e: t.update({first_weight(t): t[first_weight(t)].transpose(0, 1)
                                                             .contiguous()})),
        tamper("int_weights", lambda t, c, e: t.update({first_weight(t): t[first_weight(t)].long()})),
        tamper("no_audio_stats", lambda t, c, e: e.pop("audio_stats"), fast=True),
        tamper("short_audio_stats", lambda t, c, e: e.update({"audio_stats": {
            "mean": e["audio_stats"]["mean"][:10], "std": e["audio_stats"]["std"][:10]}})),
        tamper("nan_audio_stats", lambda t, c, e: e.update({"audio_stats": {
            "mean": [float("nan")] * len(e["audio_stats"]["mean"]), "std": e["audio_stats"]["std"]}})),
        tamper("zero_std", lambda t, c, e: e.update({"audio_stats": {
            "mean": e["audio_stats"]["mean"], "std": [0.0] * len(e["audio_stats"]["std"])}})),
        tamper("string_stats", lambda t, c, e: e.update({"audio_stats": "nope"})),
        tamper("sample_rate_0", set_audio("sample_rate", 0), fast=True),
        tamper("sample_rate_1e6", set_audio("sample_rate", 1000000), fast=True),
        tamper("sample_rate_16001", set_audio("sample_rate", 16001)),
        tamper("fps_0", set_audio("fps", 0)),
        tamper("n_fft_1", set_audio("n_fft", 1)),
        tamper("log_floor_0", set_audio("log_floor", 0.0)),
        tamper("fmax_above_nyquist", set_audio("fmax", 1e9)),
        tamper("n_mels_64", set_audio("n_mels", 64)),
        tamper("huge_channels", lambda t, c, e: c["generator"].__setitem__(
            "audio_channels", [32, 64, 128, 256, 10**6])),
        tamper("other_channels", lambda t, c, e: c["generator"].__setitem__("audio_channels", [16, 32, 64, 128, 128])),
        tamper("motion_reshaped", lambda t, c, e: t.update({"motion.weights": t["motion.weights"][:10].clone()})
               if "motion.weights" in t else t.pop(first_weight(t))),
        tamper("motion_partial", lambda t, c, e: [t.pop("motion.proxy" if "motion.proxy" in t else first_weight(t))]),
        tamper("no_motion_probe", lambda t, c, e: [t.pop(k) for k in list(t) if k.startswith("motion.")], "ok"),
    ]


def signal_cases() -> list[Case]:
    """SIGTERM and SIGINT during a long run (issue 19, 10): the subprocess runner sends `signal` after a delay."""
    def long_audio(d: Path, assets: Path) -> list[str]:
        write_wav(d / "long.wav", np.tile(_speech(1.0), 120), RATE)  # 2 minutes
        return _args(d / "long.wav", assets / "lips.png", d / "out.mp4", "--frames", str(d / "frames"))
    return [Case("sigterm_long_run", long_audio, "signal:15", True, True),
            Case("sigint_long_run", long_audio, "signal:2", False, True)]


def non_utf8_case() -> list[Case]:
    """A non-UTF-8 image file name (issue 19, 6): cv2.imread segfaulted on it."""
    def build(d: Path, assets: Path) -> list[str]:
        name = b"lips-\xff\xfe.png".decode("utf-8", "surrogateescape")
        (d / name).write_bytes((assets / "lips.png").read_bytes())
        return _args(assets / "speech.wav", d / name, d / "out.mp4")

    def build_audio(d: Path, assets: Path) -> list[str]:
        name = b"speech-\xe9.wav".decode("utf-8", "surrogateescape")
        (d / name).write_bytes((assets / "speech.wav").read_bytes())
        return _args(d / name, assets / "lips.png", d / b"out-\xe9.mp4".decode("utf-8", "surrogateescape"))
    return [Case("non_utf8_image_name", build, "ok", True, True), Case("non_utf8_audio_name", build_audio, "ok",
                                                                          False, True)]


def families() -> dict[str, list[Case]]:
    """The cases by family (the rows of docs/FUZZ.md)."""
    from fuzz_dub_api import dub_cases, generate_cases

    return {"audio": audio_cases() + generate_cases(), "image": image_cases(), "output": output_cases(),
            "checkpoint": checkpoint_cases(), "signal": signal_cases(), "file_name": non_utf8_case(),
            "dub": dub_cases()}


def all_cases() -> list[Case]:
    cases = [c for family in families().values() for c in family]
    names = [c.name for c in cases]
    assert len(names) == len(set(names)), "case names must be unique"
    return cases
