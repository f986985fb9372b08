"""`tiepdan apikey create --name`: the key is shown once and only its hash is stored; list and revoke."""

from __future__ import annotations

import argparse
import io

from sqlalchemy import select

from bot import cli_open
from bot.services.open311 import key_hash
from storage.models import ApiKey
from storage.uow import Database
from tests.support.harness import settings_for


async def test_create_list_and_revoke(db_url: str) -> None:
    settings = settings_for(db_url)
    out = io.StringIO()
    assert await cli_open.run(settings, argparse.Namespace(apikey_command="create", name="FixMyStreet"), out) == 0
    raw = out.getvalue().split(": ", 1)[1].split()[0]
    db = Database(db_url)
    try:
        async with db.unit_of_work(readonly=True) as uow:
            rows = list((await uow.session.execute(select(ApiKey))).scalars())
        assert [(r.name, r.key_hash) for r in rows] == [("FixMyStreet", key_hash(raw))]
        assert raw not in rows[0].key_hash
    finally:
        await db.dispose()
    listing = io.StringIO()
    await cli_open.run(settings, argparse.Namespace(apikey_command="list"), listing)
    assert "#1 FixMyStreet" in listing.getvalue() and "active" in listing.getvalue() and raw not in listing.getvalue()
    assert await cli_open.run(settings, argparse.Namespace(apikey_command="revoke", id=1), io.StringIO()) == 0
    assert await cli_open.run(settings, argparse.Namespace(apikey_command="revoke", id=1), io.StringIO()) == 1
