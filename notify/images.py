"""Copies of evidence images fit to show a commission: re-encoded from pixels only, so EXIF,
GPS, XMP, ICC and text chunks are gone; turned upright first; bounded in size."""

from __future__ import annotations

import io
import logging
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

log = logging.getLogger(__name__)

MAX_SIDE = 2560
IMAGE_TYPES = frozenset(
    {"image/jpeg", "image/png", "image/webp", "image/gif", "image/bmp", "image/tiff", "image/heic"}
)


def is_image(mime_type: str) -> bool:
    return mime_type.lower() in IMAGE_TYPES


def stripped_copy(content: bytes) -> tuple[bytes, str] | None:
    """(bytes, mime type) of a metadata-free copy, or None when it is not an image Pillow can
    read safely (then the file is listed, not attached)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as source:
                upright = ImageOps.exif_transpose(source)
                upright.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning, SyntaxError) as exc:  # fmt: skip
        log.info("image not attached: %s", type(exc).__name__)
        return None
    has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
    # Only the pixels go into the new image: no info dict, so nothing of the original's
    # metadata can be written back by any format's encoder.
    clean = Image.new("RGBA" if has_alpha else "RGB", upright.size)
    clean.paste(upright.convert(clean.mode))
    clean.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    if has_alpha:
        clean.save(out, "PNG", optimize=True)
        return out.getvalue(), "image/png"
    clean.save(out, "JPEG", quality=85)
    return out.getvalue(), "image/jpeg"
