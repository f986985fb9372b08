"""Server-rendered pages from plain HTML templates in bot/web/static/, every sentence from the catalogs.

A template says `{{ web.chat.send }}` for a catalog text (HTML-escaped here) and `[[ name ]]` for a fragment
the route builds (already escaped). A key missing from the catalog raises, so a test rendering each page in
each language finds it. The page language comes from `?lang=`, then a cookie, then the default.
"""

from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

from aiohttp import web

from bot.i18n import LANGUAGES, Translator, translator

STATIC = Path(__file__).resolve().parent / "static"
LANG_COOKIE = "tiepdan_lang"
TEXT = re.compile(r"\{\{\s*([a-z0-9_.]+)\s*\}\}")
FRAGMENT = re.compile(r"\[\[\s*([a-z0-9_]+)\s*\]\]")
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class MissingText(KeyError):
    pass


@cache
def template(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def text(t: Translator, key: str, **params: object) -> str:
    """A catalog text, refusing to show a bare key to a citizen."""
    value = t(key, **params)
    if value == key:
        raise MissingText(key)
    return value


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def render(name: str, language: str, fragments: dict[str, str]) -> str:
    t = translator(language)
    page = TEXT.sub(lambda m: esc(text(t, m.group(1))), template(name))
    return FRAGMENT.sub(lambda m: fragments[m.group(1)], page)


def page_language(request: web.Request, default: str) -> str:
    asked = request.query.get("lang")
    if asked in LANGUAGES:
        return asked
    saved = request.cookies.get(LANG_COOKIE)
    return saved if saved in LANGUAGES else default


def language_links(path: str, current: str, keep: dict[str, str] | None = None) -> str:
    """The VI | EN switch: each language named in itself, the current one marked for screen readers;
    `keep` holds query parameters the switch must not lose (the demo seat)."""
    links = []
    for code in LANGUAGES:
        name = esc(text(translator(code), "web.lang.self"))
        href = esc(f"{path}?{urlencode({**(keep or {}), 'lang': code})}")
        if code == current:
            links.append(f'<a href="{href}" lang="{code}" aria-current="true">{name}</a>')
        else:
            links.append(f'<a href="{href}" lang="{code}" hreflang="{code}">{name}</a>')
    return " ".join(links)


def html_response(body: str, request: web.Request, language: str, *, status: int = 200) -> web.Response:
    response = web.Response(body=body.encode("utf-8"), status=status, content_type="text/html", charset="utf-8",
                            headers=SECURITY_HEADERS)
    if request.query.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, language, max_age=365 * 24 * 3600, path="/", samesite="Lax",
                            httponly=True)
    return response
