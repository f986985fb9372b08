"""Untrusted pictures cannot freeze or bloat the server: the attacks of issue 11, replayed against a live app.

A 338 KiB PNG of 9450x9450 pixels once took the server from 0.47 to 1.52 GB and blocked it for 9 s; a 182 MP
PNG gave a 500; TIFF, BMP, ICO and PCX files declared as JPEG were accepted. Now the bytes decide the type,
the header's pixel count is checked before decoding, and decoding runs in a capped process of its own.
"""

from __future__ import annotations

import asyncio
import io
import struct
import time
import zlib
from functools import cache

import aiohttp
import pytest
from PIL import Image

from bot.domain.media import MediaRejected, check_pixels, dimensions, sniff
from bot.services.imaging import ImageWorker
from tests.support.web_client import WebVisitor, serving
from tests.web.test_webchat import photo_with_gps, web_container

POLITE_PIXELS = ("Ảnh có quá nhiều điểm ảnh (tối đa 40 triệu). Xin chọn ảnh nhỏ hơn hoặc chụp lại ở độ phân giải "
                 "thấp hơn.")
POLITE_UNREADABLE = "Không đọc được ảnh này. Xin chụp lại hoặc chọn ảnh khác."
POLITE_TYPE = "Chỉ nhận ảnh JPEG, PNG hoặc WebP."


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int, height: int, *, colour: int, depth: int = 8) -> bytes:
    """A valid PNG of one flat colour, written row by row so the test never holds its pixels."""
    channels = {0: 1, 2: 3, 6: 4}[colour]
    row = b"\0" + b"\0" * ((width * channels * depth + 7) // 8)
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


@cache
def the_9450_png() -> bytes:
    return png_bomb(9450, 9450, colour=6)  # RGBA: ~338 KiB, 357 MB once decoded


@cache
def the_182mp_png() -> bytes:
    return png_bomb(13500, 13500, colour=0, depth=1)


def other_format(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (20, 200, 20)).save(out, format=fmt)
    return out.getvalue()


def peak_rss_reset() -> None:
    with open("/proc/self/clear_refs", "w") as fh:  # "5": reset this process's peak RSS (VmHWM)
        fh.write("5")


def peak_rss_mb() -> float:
    with open("/proc/self/status") as fh:
        line = next(x for x in fh if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


async def _health_while(base: str, work: asyncio.Task[object]) -> list[float]:
    """Ask /healthz again and again while `work` runs; how long each answer took."""
    timings: list[float] = []
    async with aiohttp.ClientSession() as session:
        while not work.done() or not timings:
            started = time.perf_counter()
            async with session.get(f"{base}/healthz") as response:
                assert response.status == 200
            timings.append(time.perf_counter() - started)
    return timings


def test_the_header_gives_the_size_without_decoding() -> None:
    bomb = the_9450_png()
    assert 300 * 1024 < len(bomb) < 400 * 1024  # the reported file: ~338 KiB
    assert (sniff(bomb), dimensions(bomb, "image/png")) == ("image/png", (9450, 9450))
    assert dimensions(the_182mp_png(), "image/png") == (13500, 13500)
    for fmt, mime in (("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")):
        assert (sniff(other_format(fmt)), dimensions(other_format(fmt), mime)) == (mime, (32, 24))
    lossless = io.BytesIO()
    Image.new("RGB", (300, 7)).save(lossless, format="WEBP", lossless=True)
    assert dimensions(lossless.getvalue(), "image/webp") == (300, 7)
    for fmt in ("TIFF", "BMP", "ICO", "PCX", "GIF"):
        assert sniff(other_format(fmt)) is None
    with pytest.raises(MediaRejected) as refused:
        check_pixels(bomb, "image/png", 40_000_000)
    assert refused.value.reason == "too_many_pixels"


@pytest.mark.parametrize("name", ["9450x9450", "182MP"])
async def test_a_picture_bomb_is_refused_politely_at_once_and_the_server_stays_up(db_url: str, name: str) -> None:
    bomb = the_9450_png() if name == "9450x9450" else the_182mp_png()
    container = web_container(db_url)
    async with serving(container) as base:
        visitor = await WebVisitor(base).open()
        try:
            peak_rss_reset()
            before = peak_rss_mb()
            started = time.perf_counter()
            upload = asyncio.create_task(visitor.upload(bomb, "image/png", "bomb.png"))
            health = await _health_while(base, upload)
            async with await upload as response:
                elapsed = time.perf_counter() - started
                assert (response.status, await response.json()) == (415, {"error": POLITE_PIXELS})
            rise = peak_rss_mb() - before
            print(f"\n{name}: refused in {elapsed * 1000:.0f} ms, peak RSS +{rise:.1f} MB, "
                  f"/healthz slowest {max(health) * 1000:.1f} ms over {len(health)} calls")
            assert elapsed < 1.0
            assert rise < 100
            assert max(health) < 0.1
        finally:
            await visitor.close()


async def test_a_bomb_under_a_raised_pixel_cap_dies_in_its_capped_process_not_in_the_server(db_url: str) -> None:
    """An operator who raises the cap still has the worker's memory cap: the decode fails there, politely."""
    container = web_container(db_url, media_max_pixels=100_000_000, media_worker_memory_mb=200)
    async with serving(container) as base:
        visitor = await WebVisitor(base).open()
        try:
            peak_rss_reset()
            before = peak_rss_mb()
            upload = asyncio.create_task(visitor.upload(the_9450_png(), "image/png", "bomb.png"))
            health = await _health_while(base, upload)
            async with await upload as response:
                assert (response.status, await response.json()) == (415, {"error": POLITE_UNREADABLE})
            rise = peak_rss_mb() - before
            print(f"\nraised cap: peak RSS +{rise:.1f} MB, /healthz slowest {max(health) * 1000:.1f} ms")
            assert rise < 100
            assert max(health) < 0.1
        finally:
            await visitor.close()


async def test_other_formats_declared_as_jpeg_are_refused(db_url: str) -> None:
    container = web_container(db_url)
    async with serving(container) as base:
        visitor = await WebVisitor(base).open()
        try:
            for fmt in ("TIFF", "BMP", "ICO", "PCX"):
                async with await visitor.upload(other_format(fmt), "image/jpeg") as response:
                    assert (fmt, response.status, await response.json()) == (fmt, 415, {"error": POLITE_TYPE})
            png = other_format("PNG")
            async with await visitor.upload(png, "image/jpeg") as response:  # a real PNG misnamed is fine
                assert (response.status, (await response.json())["mime"]) == (200, "image/png")
        finally:
            await visitor.close()


async def test_the_worker_strips_exif_and_keeps_pdf_documents_only() -> None:
    worker = ImageWorker()
    clean, mime = await worker.clean(photo_with_gps(), "document")
    assert (mime, dict(Image.open(io.BytesIO(clean)).getexif())) == ("image/jpeg", {})
    pdf = b"%PDF-1.4\n%fake but typed\n"
    assert await worker.clean(pdf, "document") == (pdf, "application/pdf")
    for content, kind in ((pdf, "photo"), (b"PK\x03\x04 a zip", "document"), (other_format("TIFF"), "document")):
        with pytest.raises(MediaRejected) as refused:
            await worker.clean(content, kind)
        assert refused.value.reason == "wrong_type"
    truncated = photo_with_gps()[:200]
    with pytest.raises(MediaRejected) as refused:
        await worker.clean(truncated, "photo")
    assert refused.value.reason == "unreadable"


async def test_a_decode_past_the_time_limit_is_killed_and_refused() -> None:
    worker = ImageWorker(timeout=0.01)  # no process starts and decodes within 10 ms
    started = time.perf_counter()
    with pytest.raises(MediaRejected) as refused:
        await worker.clean(photo_with_gps(), "photo")
    assert refused.value.reason == "unreadable"
    assert time.perf_counter() - started < 1.0
