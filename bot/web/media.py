"""Signed, expiring links to the case's photos, for platforms that take a photo by URL (both Zalo channels).

`MediaLinks.url(attachment_id)` gives `{PUBLIC_BASE_URL}/media/{id}.{time}.{signature}` (bot.web.signing,
purpose "media"); the route serves the stored bytes only while the signature holds and the link is younger than
its lifetime by the application's clock. A guessed or altered link, or an expired one, is a 404 that says nothing more.
"""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from bot.services.media import MediaStore
from bot.web.signing import Signer

PURPOSE = "media"
LIFETIME = timedelta(hours=24)  # long enough for a held message to go out the next morning


class MediaLinks:
    def __init__(self, signer: Signer, base_url: str, lifetime: timedelta = LIFETIME) -> None:
        self.signer, self.base_url, self.lifetime = signer, base_url.rstrip("/"), lifetime

    def url(self, attachment_id: int) -> str:
        return f"{self.base_url}/media/{self.signer.sign(PURPOSE, str(attachment_id))}"

    def attachment_of(self, token: str) -> int | None:
        """The attachment a link names, if it is ours and still valid."""
        value = self.signer.unsign(PURPOSE, token, self.lifetime)
        return int(value) if value is not None and value.isdigit() else None

    def install(self, app: web.Application, store: MediaStore) -> None:
        async def serve(request: web.Request) -> web.Response:
            attachment_id = self.attachment_of(request.match_info["token"])
            if attachment_id is None:
                raise web.HTTPNotFound()
            try:
                content, mime, _kind = await store.load(attachment_id)
            except LookupError:
                raise web.HTTPNotFound() from None
            return web.Response(body=content, content_type=mime, headers={"Cache-Control": "private, max-age=3600"})

        app.router.add_get("/media/{token}", serve)
