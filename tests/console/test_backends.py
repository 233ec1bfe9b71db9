"""The staff services on SQLite and PostgreSQL: sessions and throttling compare timestamps,
the case queue filters by age, audit entries land in the append-only table."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.cases import CaseService
from bot.cases.models import AuditEntry
from bot.db import make_engine, session_factory
from bot.staff.accounts import Accounts
from bot.staff.audit import AuditFilter, browse
from bot.staff.auth import Authenticator
from bot.staff.casework import CaseFilter, Casework
from bot.staff.records import LoginOutcome, Principal, Role, SessionEnd
from tests.cases.conftest import JANE, KNEE_MRI, Backend, FakeClock, backend  # noqa: F401
from tests.console.conftest import PASSWORD


@pytest.fixture
def db(backend: Backend) -> Iterator[sessionmaker[Session]]:  # noqa: F811
    engine = make_engine(backend.clean_migrated_database())
    yield session_factory(engine)
    engine.dispose()


def test_sessions_and_lockout(db: sessionmaker[Session], clock: FakeClock) -> None:
    Accounts(db, clock).create("ada", Role.ADMIN, PASSWORD)
    auth = Authenticator(db, clock)
    result = auth.login("ada", PASSWORD, "10.0.0.1")
    assert result.outcome is LoginOutcome.OK and result.token
    assert isinstance(auth.resolve(result.token, "10.0.0.1"), Principal)
    clock.advance(timedelta(minutes=16))
    assert auth.resolve(result.token, "10.0.0.1") is SessionEnd.IDLE
    for _ in range(5):
        auth.login("ada", "wrong password!", "10.0.0.2")
    assert auth.login("ada", PASSWORD, "10.0.0.3").outcome is LoginOutcome.LOCKED
    clock.advance(timedelta(minutes=15, seconds=1))
    assert auth.login("ada", PASSWORD, "10.0.0.3").outcome is LoginOutcome.OK
    page = browse(db, AuditFilter(action="staff.session_"))
    assert [r.action for r in page.rows] == ["staff.session_idle"]


def test_case_queue_and_view(db: sessionmaker[Session], clock: FakeClock) -> None:
    Accounts(db, clock).create("ada", Role.ADMIN, PASSWORD)
    old = CaseService(db, FakeClock(clock.now - timedelta(days=9))).open_case(
        "conv-old", "rest", JANE, KNEE_MRI)
    new = CaseService(db, clock).open_case("conv-new", "rest", JANE, KNEE_MRI)
    work = Casework(db, clock)
    assert [r.number for r in work.queue(CaseFilter()).rows] == [old.number, new.number]
    assert [r.number for r in work.queue(CaseFilter(older_than_days=7)).rows] == [old.number]
    assert [r.number for r in work.queue(CaseFilter(newer_than_days=2)).rows] == [new.number]
    result = Authenticator(db, clock).login("ada", PASSWORD, "10.0.0.1")
    assert result.principal
    work.assign(result.principal, new.number, "ada")
    view = work.view(result.principal, new.number)
    assert (view.full_name, view.assigned_to) == (JANE.full_name, "ada")
    assert [r.number for r in work.queue(CaseFilter(assigned="none")).rows] == [old.number]
    with db() as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["case.assigned", "case.viewed"]
