"""Revealing a denouncer takes two officials and leaves a chain no one can quietly edit; a denouncer's voice
never reaches the officials as a recording (issue 11)."""

from __future__ import annotations

import argparse
import io

import pytest
from sqlalchemy import select, update

from bot.cli_officials import audit_command
from bot.clock import FakeClock
from bot.domain.authz import Refused
from bot.domain.cases import CaseKind
from bot.services.intake import Draft
from bot.services.reveal_audit import verify
from storage.models import Attachment, Case, OutboxItem, RevealAudit
from storage.uow import Database
from tests.officials.world import MONDAY_9, World
from tests.support.harness import settings_for

ACCUSATION = "Cán bộ địa chính phường Sao Đỏ nhận tiền để làm nhanh hồ sơ đất, ngày 02/02/2026."


async def _denunciation(world: World, citizen, *, voices: int = 0) -> Case:
    async def attach(case_id: int) -> None:
        for n in range(voices):
            s.uow.session.add(Attachment(kind="voice", mime="audio/ogg", size=3, sha256="x", storage="db",
                                         content=b"ogg", case_id=case_id, created_at=world.clock.now(),
                                         status="stored", name=f"v{n}.ogg"))
            s.uow.session.add(Attachment(kind="photo", mime="image/jpeg", size=3, sha256="y", storage="db",
                                         content=b"jpg", case_id=case_id, created_at=world.clock.now(),
                                         status="stored"))
        await s.uow.session.flush()

    async with world.services() as s:
        receipt = await s.intake.submit(
            Draft(kind=CaseKind.DENUNCIATION, text=ACCUSATION, category="dat_dai", area="SAODO"),
            citizen_id=citizen.citizen_id, identity_id=citizen.identity_id, on_created=attach)
    return await world.case(receipt.case_id)


async def _refusal(world: World, call) -> str:
    with pytest.raises(Refused) as refused:
        async with world.services() as s:
            await call(s)
    return refused.value.key


async def test_a_reveal_needs_a_second_officials_code_and_every_step_is_chained(database: Database,
                                                                                db_url: str) -> None:
    world = World(database, FakeClock(MONDAY_9))
    citizen = await world.account("9001")
    case = await _denunciation(world, citizen)
    assert case.sealed

    assert await _refusal(world, lambda s: s.case_actions.reveal(case.code, "TTRA_HEAD")) == \
        "officials.reveal.needs_approval"
    for approver in ("TTRA_HEAD", "TTRA_OFF1"):  # oneself, or an officer without the grant
        assert await _refusal(world, lambda s, a=approver: s.case_actions.approve_reveal(
            case.code, "TTRA_HEAD", a, "xác minh")) == "officials.reveal.approver_refused"

    async with world.services() as s:
        code = await s.case_actions.approve_reveal(case.code, "TTRA_HEAD", "TTRA_TINH_HEAD", "bảo vệ người tố cáo")
    assert await _refusal(world, lambda s: s.case_actions.reveal(case.code, "TTRA_HEAD", "0000-0000")) == \
        "officials.reveal.bad_approval"
    assert await _refusal(world, lambda s: s.case_actions.reveal(case.code, "TTRA_OFF1", code)) == \
        "officials.reveal.refused"  # a code is for one requester, who must hold the grant
    async with world.services() as s:
        revealed = await s.case_actions.reveal(case.code, "TTRA_HEAD", code.lower(), "bảo vệ")
    assert revealed.channel == "telegram"
    assert await _refusal(world, lambda s: s.case_actions.reveal(case.code, "TTRA_HEAD", code)) == \
        "officials.reveal.bad_approval"  # once only

    async with world.services() as s:
        late = await s.case_actions.approve_reveal(case.code, "TTRA_HEAD", "TTRA_TINH_HEAD", "lần hai")
    world.clock.advance(minutes=31)
    assert await _refusal(world, lambda s: s.case_actions.reveal(case.code, "TTRA_HEAD", late)) == \
        "officials.reveal.bad_approval"

    async with database.unit_of_work(readonly=True) as uow:
        check = await verify(uow.session)
        rows = (await uow.session.execute(select(RevealAudit).order_by(RevealAudit.id))).scalars().all()
    assert (check.ok, check.rows) == (True, 3)
    assert [r.action for r in rows] == ["approved", "revealed", "approved"]
    assert code.replace("-", "") not in str([r.__dict__ for r in rows])  # the code is kept hashed only

    settings = settings_for(db_url)
    out = io.StringIO()
    assert await audit_command(settings, database, argparse.Namespace(audit_command="verify"), out) == 0
    assert out.getvalue() == "reveal audit chain: 3 row(s), intact\n"

    # Someone with database access softens the reason of the reveal: the chain names the row.
    async with database.unit_of_work() as uow:
        await uow.session.execute(update(RevealAudit).where(RevealAudit.id == rows[1].id).values(reason="-"))
        await uow.commit()
    out = io.StringIO()
    assert await audit_command(settings, database, argparse.Namespace(audit_command="verify"), out) == 1
    assert out.getvalue() == f"reveal audit chain: BROKEN at row {rows[1].id} (edited, deleted or inserted)\n"


async def test_a_denouncers_voice_is_not_forwarded_to_officials(database: Database) -> None:
    world = World(database, FakeClock(MONDAY_9))
    officer = await world.official("TTRA_OFF1")
    citizen = await world.account("9002")
    case = await _denunciation(world, citizen, voices=2)
    cards = [row for row in await world.outbox(officer.chat) if row.case_id == case.id]
    assert cards
    async with database.unit_of_work(readonly=True) as uow:
        kinds = dict((await uow.session.execute(select(Attachment.id, Attachment.kind))).all())
    for card in cards:
        assert [kinds[i] for i in card.payload["attachment_ids"]] == ["photo", "photo"]
        assert ("Ghi âm của người tố cáo được giữ kín, không chuyển tiếp (2 ghi âm); cần nội dung xin đề nghị "
                "bản ghi lời.") in card.payload["text"]
    assert isinstance(cards[0], OutboxItem)
