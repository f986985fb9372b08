"""A PIN is shown once and kept nowhere in clear (issue 11): after a whole web journey, every column of every
table is searched for the PIN and the receipt's signed link."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.channels.model import Outbound
from bot.services.retention import run_retention
from storage.models import Base, OutboxItem, WebMessage
from storage.repositories import outbox
from tests.support.web_client import PIN, WebVisitor, report_flooding, serving
from tests.web.test_webchat import web_container


async def _dump_every_table(container) -> dict[str, str]:
    """Each table as one searchable text: every value of every row (bytes included)."""
    dumps: dict[str, str] = {}
    async with container.db.unit_of_work(readonly=True) as uow:
        for table in Base.metadata.sorted_tables:
            rows = (await uow.session.execute(select(table))).all()
            parts = []
            for row in rows:
                for value in row:
                    if isinstance(value, bytes):
                        parts.append(value.decode("latin-1"))
                    elif isinstance(value, dict | list):
                        parts.append(json.dumps(value, ensure_ascii=False))
                    else:
                        parts.append(str(value))
            dumps[table.name] = "\n".join(parts)
    return dumps


@pytest.mark.slow  # whole report journeys on the live app
async def test_after_a_web_journey_no_table_holds_the_pin_or_the_link(db_url: str) -> None:
    container = web_container(db_url)
    async with serving(container) as base:
        visitor = await WebVisitor(base).open()
        try:
            await visitor.start()
            await visitor.wait_for(2)
            code = await report_flooding(visitor)
            receipt = next(t for t in visitor.bot_texts() if code in t and "PIN" in t)
            pin = PIN.search(receipt).group(1)
            link = next(word for word in receipt.split() if "/track?t=" in word)
            assert code in link
            await visitor.settle()
        finally:
            await visitor.close()

    # The outbox row is masked as soon as it is sent; the transcript line keeps it for the page a while.
    dumps = await _dump_every_table(container)
    assert pin not in dumps["outbox"] and link not in dumps["outbox"]
    assert "\u2022" * 6 in dumps["outbox"]
    container.clock.advance(minutes=11)
    purged = await run_retention(container.db, container.clock)
    assert purged.transcripts_masked >= 1
    dumps = await _dump_every_table(container)
    holding = sorted(name for name, dump in dumps.items() if pin in dump or link.split("t=")[1] in dump)
    assert holding == []
    async with container.db.unit_of_work(readonly=True) as uow:
        lines = (await uow.session.execute(select(WebMessage.payload))).scalars().all()
    shown = next(" ".join(p["texts"]) for p in lines if code in " ".join(p.get("texts") or []))
    assert "Mã PIN tra cứu: \u2022\u2022\u2022\u2022\u2022\u2022" in shown  # a reload shows it masked


async def test_redact_secrets_masks_only_sent_rows_that_marked_a_secret(database) -> None:
    from bot.clock import FakeClock
    from tests.web.test_webchat import FRIDAY

    clock = FakeClock(FRIDAY)
    async with database.unit_of_work() as uow:
        await outbox.add(uow.session, channel="telegram", chat_id="1", now=clock.now(),
                                  payload=Outbound(text="PIN: 424242", secrets=("424242",)).to_json())
        await outbox.add(uow.session, channel="telegram", chat_id="1", now=clock.now(),
                                 payload=Outbound(text="424242 is just a number here").to_json())
        await outbox.add(uow.session, channel="telegram", chat_id="2", now=clock.now(),
                                   payload=Outbound(text="PIN: 515151", secrets=("515151",)).to_json())
        await uow.commit()
    async with database.unit_of_work(readonly=True) as uow:
        ids = list((await uow.session.execute(select(OutboxItem.id).order_by(OutboxItem.id))).scalars())
    async with database.unit_of_work() as uow:
        await outbox.mark_sent(uow.session, ids[:2], clock.now(), "m1")
        assert await outbox.redact_secrets(uow.session, ids, clock.now()) == 1
        await uow.commit()
    async with database.unit_of_work(readonly=True) as uow:
        rows = {r.id: r.payload for r in (await uow.session.execute(select(OutboxItem))).scalars()}
    assert rows[ids[0]] == {**rows[ids[0]], "text": "PIN: \u2022\u2022\u2022\u2022\u2022\u2022"}
    assert "secrets" not in rows[ids[0]]
    assert rows[ids[1]]["text"] == "424242 is just a number here"  # not marked: untouched
    assert rows[ids[2]]["secrets"] == ["515151"]  # not sent yet: the sender still needs it
    assert Outbound.from_json(rows[ids[2]]).secrets == ("515151",)
    assert timedelta(minutes=10) == outbox.TRANSCRIPT_GRACE
