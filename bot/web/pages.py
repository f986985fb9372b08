"""Server-rendered pages: Jinja2 templates in bot/web/templates/, autoescaped, every sentence from the catalogs.

The public pages (chat, track, dialogue) extend `site.html`, the dashboard's extend `base.html`. A public
template says `{{ t("web.chat.send") }}`; a key missing from the catalog raises, so a test rendering each page
in each language finds it. Every value is escaped by Jinja2; no route builds markup. The page language comes
from `?lang=`, then a cookie, then the default.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from jinja2 import Environment, FileSystemLoader

from bot.i18n import LANGUAGES, Translator, translator

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"
LANG_COOKIE = "tiepdan_lang"
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
def templates() -> Environment:
    """The one template environment of the web app: every template and every value autoescaped."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, keep_trailing_newline=True)
    # `tojson` in a <script> block: <, >, & and ' are \u-escaped by Jinja2; other letters stay readable.
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": False}
    return env


def text(t: Translator, key: str, **params: object) -> str:
    """A catalog text, refusing to show a bare key to a citizen."""
    value = t(key, **params)
    if value == key:
        raise MissingText(key)
    return value


@dataclass(frozen=True, slots=True)
class LanguageLink:
    code: str
    name: str  # the language named in itself
    href: str
    current: bool


def language_links(path: str, current: str, keep: dict[str, str] | None = None) -> list[LanguageLink]:
    """The VI | EN switch; `keep` holds query parameters the switch must not lose (the demo seat)."""
    return [LanguageLink(code, text(translator(code), "web.lang.self"),
                         f"{path}?{urlencode({**(keep or {}), 'lang': code})}", code == current)
            for code in LANGUAGES]


def render(name: str, language: str, **values: Any) -> str:
    """A public page in `language`: `t` in the template is the strict catalog lookup."""
    t = translator(language)

    def lookup(key: str, **params: object) -> str:
        return text(t, key, **params)

    return templates().get_template(name).render(t=lookup, lang=language, **values)


def page_language(request: web.Request, default: str) -> str:
    asked = request.query.get("lang")
    if asked in LANGUAGES:
        return asked
    saved = request.cookies.get(LANG_COOKIE)
    return saved if saved in LANGUAGES else default


def html_response(body: str, request: web.Request, language: str, *, status: int = 200) -> web.Response:
    response = web.Response(body=body.encode("utf-8"), status=status, content_type="text/html", charset="utf-8",
                            headers=SECURITY_HEADERS)
    if request.query.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, language, max_age=365 * 24 * 3600, path="/", samesite="Lax",
                            httponly=True)
    return response
