"""Media rules: accepted types and sizes, read from the bytes themselves, and metadata stripping.

What a sender declares (a MIME type, a file name) is only a first filter; the bytes decide. A photo's pixel
count is read from its header before anything is decoded, so a small file that would inflate to gigabytes
(a "decompression bomb") is refused without touching its pixels. Decoding itself (`strip_metadata`) runs in
a separate, memory-capped process (bot.media_worker), never in the server.
"""

from __future__ import annotations

import io
import struct

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_VOICE_BYTES = 20 * 1024 * 1024
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 48 MP phone photo is refused; 40 MP covers every common camera mode
PHOTO_TYPES = {"image/jpeg", "image/png", "image/webp"}
VOICE_TYPES = {"audio/ogg", "audio/mpeg", "audio/mp4", "audio/aac", "audio/amr", "audio/x-m4a", "audio/wav",
               "audio/webm"}  # audio/webm: Opus recorded by a browser's MediaRecorder (the web chat)
DOCUMENT_TYPES = {"application/pdf", "image/jpeg", "image/png", "image/webp"}
PILLOW_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


class MediaRejected(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # a catalog key suffix: too_large | too_many_pixels | wrong_type | unreadable


def sniff(content: bytes) -> str | None:
    """The type the bytes are, from their signature: a JPEG, PNG, WebP or PDF; None for anything else
    (TIFF, BMP, ICO, PCX, GIF... even when declared as image/jpeg)."""
    if content.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(content) >= 12 and content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def dimensions(content: bytes, mime: str) -> tuple[int, int] | None:
    """Width and height from the image's header, without decoding; None when the header is not readable."""
    try:
        if mime == "image/png":
            return _png_size(content)
        if mime == "image/jpeg":
            return _jpeg_size(content)
        if mime == "image/webp":
            return _webp_size(content)
    except (struct.error, IndexError, ValueError):
        return None
    return None


def check_pixels(content: bytes, mime: str, max_pixels: int) -> tuple[int, int]:
    """The image's size, or MediaRejected before any pixel is decoded."""
    size = dimensions(content, mime)
    if size is None or size[0] <= 0 or size[1] <= 0:
        raise MediaRejected("unreadable")
    if size[0] * size[1] > max_pixels:
        raise MediaRejected("too_many_pixels")
    return size


def _png_size(content: bytes) -> tuple[int, int] | None:
    if content[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", content[16:24])
    return width, height


def _jpeg_size(content: bytes) -> tuple[int, int] | None:
    at = 2
    while at + 4 <= len(content):
        if content[at] != 0xFF:
            return None
        marker = content[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            at += 2
            continue
        length = struct.unpack(">H", content[at + 2:at + 4])[0]
        # Start of frame (baseline, progressive, lossless...; not DHT C4, JPG C8, DAC CC): height then width.
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", content[at + 5:at + 9])
            return width, height
        if marker == 0xDA:  # start of scan before any frame header: not a usable JPEG
            return None
        at += 2 + length
    return None


def _webp_size(content: bytes) -> tuple[int, int] | None:
    chunk = content[12:16]
    if chunk == b"VP8X":
        width = 1 + int.from_bytes(content[24:27], "little")
        height = 1 + int.from_bytes(content[27:30], "little")
        return width, height
    if chunk == b"VP8 ":
        if content[23:26] != b"\x9d\x01\x2a":
            return None
        width, height = struct.unpack("<HH", content[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":
        if content[20] != 0x2F:
            return None
        bits = int.from_bytes(content[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def strip_metadata(content: bytes, max_pixels: int = MAX_PIXELS) -> tuple[bytes, str]:
    """Decode and re-encode the pixels only: no EXIF, no GPS, no XMP. Only JPEG, PNG and WebP are opened
    (Pillow is told so), and only up to `max_pixels`. Raises MediaRejected; never any other error.

    Decoding untrusted bytes costs memory and time: call this in bot.media_worker's capped process."""
    from PIL import Image, ImageOps  # imported here: the server itself never needs Pillow's decoders

    mime = sniff(content)
    if mime not in PHOTO_TYPES:
        raise MediaRejected("wrong_type")
    check_pixels(content, mime, max_pixels)
    Image.MAX_IMAGE_PIXELS = max_pixels  # Pillow's own guard, in case a header lied to check_pixels
    try:
        with Image.open(io.BytesIO(content), formats=list(PILLOW_FORMATS)) as opened:
            if opened.format not in PILLOW_FORMATS or opened.width * opened.height > max_pixels:
                raise MediaRejected("too_many_pixels" if opened.format in PILLOW_FORMATS else "wrong_type")
            fmt = opened.format
            # Turn the pixels upright first: once EXIF is gone, its orientation tag is gone too.
            image = ImageOps.exif_transpose(opened) or opened
            clean = Image.frombytes(image.mode, image.size, image.tobytes())  # pixels only, no metadata
            palette = image.getpalette() if image.mode == "P" else None
            if palette:
                clean.putpalette(palette)
        out = io.BytesIO()
        if fmt == "PNG":
            clean.save(out, format="PNG")
            return out.getvalue(), "image/png"
        if clean.mode not in ("RGB", "L"):
            clean = clean.convert("RGB")
        clean.save(out, format="JPEG", quality=90)
        return out.getvalue(), "image/jpeg"
    except MediaRejected:
        raise
    except Exception as exc:  # every decoder error (bomb, truncated, corrupt, out of memory) is one answer
        raise MediaRejected("unreadable") from exc


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
