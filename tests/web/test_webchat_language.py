"""The web page's language switch sets the conversation's language too, and a stale cookie never overrides it."""

from __future__ import annotations

import json
import re

from bot.i18n import translator
from tests.support.web_client import WebVisitor, serving
from tests.web.test_webchat import web_container

CONFIG = re.compile(r'<script type="application/json" id="tiepdan-config">(.*?)</script>', re.S)


async def page_config(visitor: WebVisitor, query: str = "") -> dict[str, object]:
    assert visitor.session is not None
    async with visitor.session.get(f"{visitor.base_url}/chat{query}") as page:
        return dict(json.loads(CONFIG.search(await page.text()).group(1)))  # type: ignore[union-attr]


async def test_switching_to_english_makes_the_bot_speak_english(db_url: str) -> None:
    en, vi = translator("en"), translator("vi")
    container = web_container(db_url)
    async with serving(container) as base:
        visitor = await WebVisitor(base).open()
        try:
            await visitor.start()
            await visitor.wait_for(2)
            await visitor.press("agree")
            await visitor.wait_for(4)
            assert (await page_config(visitor))["lang"] == "vi"
            switched = await page_config(visitor, "?lang=en")  # the visitor taps "English"
            assert (switched["lang"], switched["switchTo"]) == ("en", "en")

            await visitor.send({"type": "language", "lang": "en"})  # what the page sends once
            texts = await visitor.wait_for(6)
            assert texts[4:] == [en("language.changed"), en("menu.prompt")]
            assert [label for _, label in visitor.last_buttons()][0] == en("menu.report")
            assert en("menu.report") != vi("menu.report")

            again = await page_config(visitor, "?lang=en")  # a reload: nothing to switch any more
            assert (again["lang"], again["switchTo"]) == ("en", None)
            assert visitor.session is not None
            visitor.session.cookie_jar.update_cookies({"tiepdan_lang": "vi"})  # a cookie from another visit
            assert (await page_config(visitor))["lang"] == "en"  # the page follows the conversation

            await visitor.send({"type": "language", "lang": "xx"})
            assert (await visitor.wait_frame("error"))["text"]
        finally:
            await visitor.close()


async def test_a_new_visitor_who_switches_first_is_greeted_in_english(db_url: str) -> None:
    container = web_container(db_url)
    async with serving(container) as base:
        visitor = await WebVisitor(base, language="en").open()
        try:
            await visitor.send({"type": "language", "lang": "en"})  # instead of "start", as the page does
            await visitor.wait_for(2)
            assert [label for _, label in visitor.last_buttons()] == [
                translator("en")("consent.agree"), translator("en")("consent.decline")]
        finally:
            await visitor.close()


async def test_switching_in_the_middle_of_a_report_asks_the_question_again_in_english(db_url: str) -> None:
    """The page's switch mid-step: the step stays, and its question comes again in English with English buttons,
    so no Vietnamese button is left under the English words."""
    en = translator("en")
    container = web_container(db_url)
    async with serving(container) as base:
        visitor = await WebVisitor(base).open()
        try:
            await visitor.start()
            await visitor.wait_for(2)
            await visitor.press("agree")
            await visitor.wait_for(4)
            await visitor.say("Nước ngập sâu trước số nhà 12 đường Nguyễn Trãi.")  # a report begins: what kind?
            kinds = await visitor.wait_for(5)
            asked = [key for key, _ in visitor.last_buttons()]
            assert asked and kinds[4] != en("report.ask_kind")
            await visitor.send({"type": "language", "lang": "en"})
            texts = await visitor.wait_for(7)
            assert texts[5:] == [en("language.changed"), en("report.ask_kind")]
            assert visitor.last_buttons() == [(key, en(f"report.kind.{key}")) for key in asked]
        finally:
            await visitor.close()
