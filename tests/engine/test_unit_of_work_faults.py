"""A unit of work that fails while the database is failing still gives its connection back.

Closing a session rolls back, and rolling back to a savepoint is a statement, which fails like any other while
the disk (SQLite) or the server (PostgreSQL) is gone. The connection must not stay checked out with its
transaction open: on SQLite it would hold the write lock, and every writer after it would wait and fail with
"database is locked" until the garbage collector found it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from storage.db import FAULT_FILE_VARIABLE
from storage.models import OrgSetting
from storage.uow import Database


class FlowFailed(Exception):
    pass


async def test_a_unit_failing_in_an_outage_with_a_savepoint_open_frees_its_connection(
        db_url: str, backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if backend != "sqlite":
        pytest.skip("the outage switch stands in for a lost disk, SQLite's kind of outage")
    switch = tmp_path / "disk-gone"
    monkeypatch.setenv(FAULT_FILE_VARIABLE, str(switch))
    db = Database(db_url)
    try:
        for attempt in range(3):
            with pytest.raises(FlowFailed):  # the unit's own error goes on, not the failed rollback's
                async with db.unit_of_work() as uow:
                    await uow.session.execute(insert(OrgSetting).values(key=f"drill-{attempt}", value={}))
                    await uow.savepoint()
                    await uow.session.execute(insert(OrgSetting).values(key=f"drill-{attempt}b", value={}))
                    switch.touch()  # the disk goes while the savepoint is open
                    raise FlowFailed
            switch.unlink()
            assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        async with db.unit_of_work() as uow:  # the next writer is not locked out
            uow.session.add(OrgSetting(key="after", value={"drill": 1}))
            await uow.commit()
        async with db.unit_of_work(readonly=True) as uow:
            keys = (await uow.session.execute(
                select(func.count()).select_from(OrgSetting).where(OrgSetting.key.like("drill-%")))).scalar_one()
        assert keys == 0
    finally:
        await db.dispose()
