"""Every public page is an autoescaped template: a value carrying markup is shown as text, never run.

The chat's demo switch and the tracking page are driven through their routes with hostile data in the
database (an official's name, a citizen's report); the dialogue minutes and the chat's script config are
rendered from their templates with hostile values in every slot.
"""

from __future__ import annotations

import json
import re

import aiohttp
import pytest
from sqlalchemy import update

from bot.clock import FakeClock
from bot.container import Container
from bot.domain.cases import CaseKind
from bot.services import Services
from bot.services.intake import Draft
from bot.web.dialogue import Minutes
from bot.web.pages import language_links, render
from storage.models import Official
from storage.models_civic import DialogueQuestion
from tests.support.harness import settings_for
from tests.support.web_client import serving
from tests.web.test_track import FRIDAY, VN, visible_text

SCRIPT = "<script>alert(1)</script>"
SHOWN = "&lt;script&gt;alert(1)&lt;/script&gt;"


def assert_escaped(page: str, times: int = 1) -> None:
    assert "<script>alert" not in page
    assert page.count(SHOWN) >= times


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_chat_page_escapes_the_demo_officials_names(db_url: str) -> None:
    container = Container(settings_for(db_url, demo=True))
    async with container.db.unit_of_work() as uow:
        await uow.session.execute(update(Official).where(Official.seat == "SAODO_OFF1").values(name=SCRIPT))
        await uow.commit()
    async with serving(container) as base, aiohttp.ClientSession() as session:
        for query in ("", "?as=SAODO_OFF1"):  # in the list, and as the role being played
            async with session.get(f"{base}/chat{query}") as response:
                page = await response.text()
            assert response.status == 200
            assert_escaped(page, times=2 if query else 1)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_tracking_page_escapes_the_citizens_words_and_the_code(db_url: str) -> None:
    container = Container(settings_for(db_url), clock=FakeClock(FRIDAY))
    async with container.db.unit_of_work() as uow:
        org = await container.org.get(uow.session, FRIDAY.astimezone(VN).date())
        receipt = await Services(uow, container.app, org).intake.submit(
            Draft(kind=CaseKind.REPORT, text=f"Cống tắc {SCRIPT}", category="ngap_nuoc", area="SAODO"),
            citizen_id=None, identity_id=None)
        await uow.commit()
    async with serving(container) as base, aiohttp.ClientSession() as session:
        async with session.post(f"{base}/track", data={"code": receipt.code, "pin": receipt.pin}) as response:
            page = await response.text()
        assert response.status == 200
        assert_escaped(page)
        assert f"Cống tắc {SCRIPT}" in visible_text(page)  # shown, as the words the citizen typed
        async with session.get(f"{base}/track", params={"code": '"><script>alert(1)</script>'}) as response:
            form = await response.text()
        assert 'value="&#34;&gt;&lt;SCRIPT&gt;' in form and "<SCRIPT>" not in form  # the code, upper-cased


def test_the_dialogue_minutes_escape_every_value() -> None:
    questions = [
        DialogueQuestion(text=SCRIPT, supports=3, answer=SCRIPT, answered_by=7, case_id=None),
        DialogueQuestion(text="Hỏi", supports=1, answer=None, answered_by=None, case_id=9),
    ]
    minutes = Minutes(f"Buổi 1\n{SCRIPT}", questions, names={7: SCRIPT}, codes={9: SCRIPT})
    page = render("dialogue.html", "vi", languages=language_links("/dialogue/1", "vi"), minutes=minutes)
    assert "<script>" not in page
    assert page.count(SHOWN) == 5  # the details, the question, who answered, the answer, the case code
    assert "Buổi 1<br>&lt;script&gt;" in page  # the details' lines break, their words stay text


def test_the_chat_config_cannot_close_its_script_block() -> None:
    config = {"lang": "vi", "texts": {"web.js.you": f"</script>{SCRIPT}"}, "seat": "'&"}
    page = render("chat.html", "vi", config=config, languages=language_links("/chat", "vi"), demo=None)
    block = re.search(r'<script type="application/json" id="tiepdan-config">(.*?)</script>', page, re.S)
    assert block is not None
    assert "<" not in block.group(1) and ">" not in block.group(1)
    assert json.loads(block.group(1)) == config


def test_a_hostile_language_link_stays_an_attribute() -> None:
    page = render("track.html", "en", languages=language_links('/track"><script>', "en"), notice=None,
                  code="", max_code=32, max_comment=1000)
    assert "<script>" not in page and 'href="/track&#34;&gt;&lt;script&gt;?lang=vi"' in page

