"""The pages themselves: every text from the catalogs in both languages, safe headers, only the assets served."""

from __future__ import annotations

import io
import json
import re

import aiohttp
import pytest
from PIL import Image

from bot.container import Container
from tests.support.harness import settings_for
from tests.support.web_client import serving

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def script_config(page: str) -> dict:
    found = re.search(r'<script type="application/json" id="tiepdan-config">(.*?)</script>', page, re.S)
    assert found is not None
    return json.loads(found.group(1))


@pytest.mark.parametrize(("lang", "heading", "send", "photo_type"), [
    ("vi", "<h1>Tiếp Dân - hỏi đáp, phản ánh</h1>", ">Gửi tin</button>", "Chỉ nhận ảnh JPEG, PNG hoặc WebP."),
    ("en", "<h1>Tiếp Dân - questions and reports</h1>", ">Send message</button>", "Only JPEG, PNG or WebP photos are accepted."),
])
async def test_the_chat_page_in_each_language(db_url: str, lang: str, heading: str, send: str,
                                              photo_type: str) -> None:
    async with serving(Container(settings_for(db_url, demo=True))) as base, aiohttp.ClientSession() as session:
        async with session.get(f"{base}/chat?lang={lang}") as response:
            page = await response.text()
            headers = response.headers
        assert response.status == 200
        assert f'<html lang="{lang}">' in page
        assert heading in page and send in page
        assert "{{" not in page and "[[" not in page
        assert re.search(r">\s*web\.[a-z_.]+\s*<", page) is None  # no bare key shown anywhere
        config = script_config(page)
        assert config["texts"]["web.upload.wrong_type"] == photo_type
        assert config["maxText"] == 4000
        assert 'aria-live="polite"' in page and 'role="log"' in page
        assert '<label for="composer-text"' in page
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "https://" not in page  # no external fonts, scripts or stylesheets


async def test_only_the_assets_are_served_from_static(db_url: str) -> None:
    async with serving(Container(settings_for(db_url))) as base, aiohttp.ClientSession() as session:
        async with session.get(f"{base}/static/chat.js") as script:
            assert (script.status, script.content_type) == (200, "text/javascript")
            assert "https://" not in await script.text()
        async with session.get(f"{base}/static/site.css") as style:
            assert (style.status, style.content_type) == (200, "text/css")
            assert "@import" not in await style.text() and "url(" not in await style.text()
        for name in ("chat.html", "track.html", "..%2Fchat.py"):
            async with session.get(f"{base}/static/{name}") as hidden:
                assert hidden.status == 404


async def test_the_chat_installs_as_a_small_pwa(db_url: str) -> None:
    async with serving(Container(settings_for(db_url))) as base, aiohttp.ClientSession() as session:
        async with session.get(f"{base}/chat") as page:
            assert '<link rel="manifest" href="/static/manifest.webmanifest">' in await page.text()
        async with session.get(f"{base}/static/manifest.webmanifest") as manifest:
            assert manifest.content_type == "application/manifest+json"
            app = json.loads(await manifest.text())
        assert (app["start_url"], app["display"]) == ("/chat", "standalone")
        for icon in app["icons"]:
            async with session.get(f"{base}{icon['src']}") as image:
                assert image.content_type == "image/png"
                with Image.open(io.BytesIO(await image.read())) as png:
                    assert f"{png.width}x{png.height}" == icon["sizes"]
        async with session.get(f"{base}/chat/sw.js") as worker:
            assert worker.headers["Service-Worker-Allowed"] == "/chat"
            script = await worker.text()
        assert 'addEventListener("push"' in script and 'addEventListener("fetch"' in script
