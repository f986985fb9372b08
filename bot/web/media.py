"""Signed, expiring links to the case's photos, for platforms that take a photo by URL (both Zalo channels).

`MediaLinks.url(attachment_id)` gives `{PUBLIC_BASE_URL}/media/{id}.{expires}.{signature}`; the route serves
the stored bytes only while the signature (HMAC with WEB_SECRET, purpose "media") holds and the link has not
expired. A guessed or altered link, or an expired one, is a 404 that says nothing more.
"""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from bot.clock import Clock
from bot.services.media import MediaStore
from bot.web.signing import Signer

PURPOSE = "media"
LIFETIME = timedelta(hours=24)  # long enough for a held message to go out the next morning


class MediaLinks:
    def __init__(self, signer: Signer, base_url: str, clock: Clock, lifetime: timedelta = LIFETIME) -> None:
        self.signer, self.base_url, self.clock, self.lifetime = signer, base_url.rstrip("/"), clock, lifetime

    def url(self, attachment_id: int) -> str:
        expires = int((self.clock.now() + self.lifetime).timestamp())
        return f"{self.base_url}/media/{self.signer.sign(PURPOSE, f'{attachment_id}.{expires}')}"

    def attachment_of(self, token: str) -> int | None:
        """The attachment a link names, if it is ours and still valid."""
        value = self.signer.unsign(PURPOSE, token)
        if value is None or value.count(".") != 1:
            return None
        attachment, expires = value.split(".")
        if not attachment.isdigit() or not expires.isdigit() or int(expires) < self.clock.now().timestamp():
            return None
        return int(attachment)

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
