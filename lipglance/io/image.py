"""Read a photo or lip crop as uint8 RGB, safely: size limits from the header BEFORE any pixel is decoded.

The header (PIL reads only that on `Image.open`) must say at most MAX_SIDE px a side and MAX_PIXELS
pixels, so that a small file claiming a huge image (a decompression bomb) is refused before it
takes memory. Decoding goes through PIL from an open file, never `cv2.imread` on a path (which
crashes on file names that are not UTF-8). Any mode becomes RGB: grey, 16-bit, palette, CMYK,
RGBA (over white); an animated image gives its first frame; EXIF orientation is applied.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from lipglance.errors import UserError

MAX_SIDE = 16384  # px, either side
MAX_PIXELS = 50_000_000  # width * height (a 50-megapixel photo; decoded RGB takes 150 MB)


class ImageReadError(UserError):
    """An image file that is missing, too large or cannot be decoded."""


def check_image_size(width: int, height: int, name: str = "the image") -> None:
    """Refuse image dimensions over the limits (or non-positive ones) before decoding."""
    if width <= 0 or height <= 0:
        raise ImageReadError(f"{name}: its header says {width}x{height} px: not an image")
    if max(width, height) > MAX_SIDE or width * height > MAX_PIXELS:
        raise ImageReadError(f"{name}: {width}x{height} px is over glance's limit ({MAX_SIDE} px a side, "
                             f"{MAX_PIXELS // 1_000_000} megapixels): downscale it")


def read_image(path: str | Path) -> np.ndarray:
    """uint8 RGB [H, W, 3] of an image file (png, jpg, bmp, tiff, webp, gif, ...)."""
    name = os.fsdecode(path)
    shown = name.encode("utf-8", "backslashreplace").decode("utf-8")  # printable even if not UTF-8
    if not Path(path).is_file():
        raise ImageReadError(f"{shown}: no such image file")
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise ImageReadError(f"{shown}: cannot read it ({e.strerror or e})") from None
    return decode_image(data, shown)


def decode_image(data: bytes, name: str = "the image") -> np.ndarray:
    """uint8 RGB [H, W, 3] of an encoded image held in memory; see `read_image`."""
    bad = f"{name}: not a readable image (give a png or jpg of a face or lips)"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PIL's own warnings (bombs, palettes, EXIF) would add stderr lines
        try:
            img: Image.Image = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError:
            raise ImageReadError(f"{name}: over glance's limit ({MAX_SIDE} px a side, "
                                 f"{MAX_PIXELS // 1_000_000} megapixels): downscale it") from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            raise ImageReadError(bad) from None
        check_image_size(*img.size, name=name)
        try:
            img.seek(0)  # the first frame of an animation
            img.load()
            img = _rgb(ImageOps.exif_transpose(img) or img)
        except ImageReadError:
            raise
        except (OSError, ValueError, SyntaxError, EOFError, TypeError, KeyError, IndexError, ZeroDivisionError,
                MemoryError, Image.DecompressionBombError):
            raise ImageReadError(bad) from None
    rgb = np.asarray(img, dtype=np.uint8)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ImageReadError(bad)
    return np.ascontiguousarray(rgb)


def _rgb(img: Image.Image) -> Image.Image:
    """Any PIL mode -> RGB; 16/32-bit grey is scaled to 8 bits (PIL's own convert would clip it)."""
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        a = np.asarray(img, dtype=np.float64)
        top = 65535.0 if img.mode.startswith("I;16") or a.max(initial=0) > 255 else 255.0
        if img.mode == "F":
            top = max(float(np.nanmax(a, initial=0)), 1e-12) if np.isfinite(a).all() else 1.0
        grey = np.clip(np.nan_to_num(a) / top * 255.0, 0, 255).round().astype(np.uint8)
        return Image.fromarray(np.repeat(grey[..., None], 3, axis=2))
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return img.convert("RGB")
