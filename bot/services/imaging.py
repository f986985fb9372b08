"""Untrusted pictures are cleaned off the event loop, in a capped process of their own.

`ImageWorker.clean` checks what the bytes are (JPEG, PNG, WebP; PDF for documents) and the pixel count from
the header, in the server and in microseconds; only then is the picture decoded and re-encoded without its
metadata, by `python -m bot.media_worker` with an address-space cap and a wall-clock limit. Any failure there
(a decoder error, the memory cap, the time limit, a crash) is the same polite answer: `unreadable`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import sys

from bot.domain.media import MAX_PIXELS, PHOTO_TYPES, MediaRejected, check_pixels, sniff

log = logging.getLogger(__name__)

DEFAULT_MEMORY_MB = 768  # a 40 MP picture needs three RGB copies (~360 MB) while it is re-encoded
DEFAULT_TIMEOUT = 15.0
DEFAULT_WORKERS = 2


class ImageWorker:
    def __init__(self, *, max_pixels: int = MAX_PIXELS, memory_mb: int = DEFAULT_MEMORY_MB,
                 timeout: float = DEFAULT_TIMEOUT, workers: int = DEFAULT_WORKERS) -> None:
        self.max_pixels, self.memory_mb, self.timeout = max_pixels, memory_mb, timeout
        self._slots = asyncio.Semaphore(workers)  # a burst of uploads queues here, it does not fork a crowd

    async def clean(self, content: bytes, kind: str) -> tuple[bytes, str]:
        """The bytes to store and their type; raises MediaRejected (wrong_type, too_many_pixels, unreadable).

        Photos must be JPEG, PNG or WebP; documents PDF or one of those pictures (pictures lose their EXIF,
        a PDF is kept as sent). The declared type plays no part."""
        mime = sniff(content)
        if kind == "document" and mime == "application/pdf":
            return content, mime
        if mime not in PHOTO_TYPES:
            raise MediaRejected("wrong_type")
        check_pixels(content, mime, self.max_pixels)  # before anything is decoded
        async with self._slots:
            return await self._run(content)

    async def _run(self, content: bytes) -> tuple[bytes, str]:
        cpu = max(1, math.ceil(self.timeout))
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.media_worker", str(self.max_pixels), str(self.memory_mb * 1024 * 1024),
            str(cpu), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            out, _ = await asyncio.wait_for(process.communicate(content), self.timeout)
        except (TimeoutError, OSError) as exc:
            log.warning("picture worker stopped: %s", type(exc).__name__)
            raise MediaRejected("unreadable") from None
        finally:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        head, _, body = out.partition(b"\n")
        status, _, detail = head.decode("ascii", "replace").partition(" ")
        if process.returncode == 0 and status == "ok" and detail in PHOTO_TYPES and body:
            return body, detail
        if process.returncode == 0 and status == "no" and detail in {"wrong_type", "too_many_pixels"}:
            raise MediaRejected(detail)
        if process.returncode != 0:
            log.warning("picture worker ended with %s", process.returncode)
        raise MediaRejected("unreadable")
