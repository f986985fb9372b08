"""What both Zalo channels (the Zalo Bot API and the Official Account) share: what a Zalo chat can show, one
lazily opened aiohttp session, a capped download of a user's media, Zalo's ids, and a transport failure read
as a send result."""

from __future__ import annotations

from typing import Any

import aiohttp

from bot.channels.model import Capabilities, SendResult

MAX_TEXT = 2000
MAX_MEDIA_BYTES = 20 * 1024 * 1024


def zalo_capabilities(*, photos: bool) -> Capabilities:
    """No buttons: choices become a numbered list; photos only when they can be offered as a URL."""
    return Capabilities(buttons=False, photos=photos, max_text=MAX_TEXT)


def zalo_id(value: Any) -> str | None:
    """Zalo's ids are strings; a number is accepted as its digits, anything else is no id."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int):
        return str(value)
    return None


async def json_or_none(response: aiohttp.ClientResponse) -> Any:
    """The answer's JSON body whatever its content type, or None when it is no JSON."""
    try:
        return await response.json(content_type=None)
    except ValueError:
        return None


def network_failure(exc: TimeoutError | aiohttp.ClientError) -> SendResult:
    """The request never got an answer: a transient failure, tried again later."""
    if isinstance(exc, TimeoutError):
        return SendResult.retry("timed out")
    return SendResult.retry(f"network: {type(exc).__name__}")


class ZaloHttp:
    """An API client's session (opened on first use, again after a close) and media download."""

    def __init__(self, *, timeout: float = 15.0) -> None:
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._timeout))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def download(self, url: str) -> bytes:
        """A user's photo, voice note or file, refused beyond MAX_MEDIA_BYTES."""
        if not url.startswith(("https://", "http://")):
            raise ValueError("not a web address")
        async with self.session.get(url) as response:
            response.raise_for_status()
            content = await response.content.read(MAX_MEDIA_BYTES + 1)
        if len(content) > MAX_MEDIA_BYTES:
            raise ValueError("file too large")
        return content
