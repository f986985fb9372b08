"""Media rules: accepted types and sizes, and metadata stripping (EXIF holds GPS and device data)."""

from __future__ import annotations

import io

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_VOICE_BYTES = 20 * 1024 * 1024
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp"}
VOICE_TYPES = {"audio/ogg", "audio/mpeg", "audio/mp4", "audio/aac", "audio/amr", "audio/x-m4a", "audio/wav",
               "audio/webm"}  # audio/webm: Opus recorded by a browser's MediaRecorder (the web chat)
DOCUMENT_TYPES = {"application/pdf", "image/jpeg", "image/png"}


class MediaRejected(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # a catalog key suffix: too_large | wrong_type | unreadable


def strip_metadata(content: bytes, mime: str) -> tuple[bytes, str]:
    """Re-encode the pixels only: no EXIF, no GPS, no XMP. Raises MediaRejected for non-images."""
    try:
        with Image.open(io.BytesIO(content)) as opened:
            fmt = opened.format or "JPEG"
            # Turn the pixels upright first: once EXIF is gone, its orientation tag is gone too.
            image = ImageOps.exif_transpose(opened) or opened
            clean = Image.frombytes(image.mode, image.size, image.tobytes())  # pixels only, no metadata
            palette = image.getpalette() if image.mode == "P" else None
            if palette:
                clean.putpalette(palette)
    except (UnidentifiedImageError, OSError) as exc:
        raise MediaRejected("unreadable") from exc
    out = io.BytesIO()
    if fmt == "PNG":
        clean.save(out, format="PNG")
        return out.getvalue(), "image/png"
    if clean.mode not in ("RGB", "L"):
        clean = clean.convert("RGB")
    clean.save(out, format="JPEG", quality=90)
    return out.getvalue(), "image/jpeg"


def check_media(kind: str, mime: str | None, size: int | None) -> None:
    limits = {"photo": (PHOTO_TYPES, MAX_PHOTO_BYTES), "voice": (VOICE_TYPES, MAX_VOICE_BYTES),
              "document": (DOCUMENT_TYPES, MAX_DOCUMENT_BYTES)}
    if kind not in limits:
        raise MediaRejected("wrong_type")
    types, limit = limits[kind]
    if size is not None and size > limit:
        raise MediaRejected("too_large")
    if mime is not None and mime.split(";")[0].strip().lower() not in types:
        raise MediaRejected("wrong_type")
