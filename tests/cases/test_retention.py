"""The consent promise: data is kept while the case is open and up to 12 months after it closes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import retention
from bot.cases import CaseService
from bot.cases.models import AuditEntry, Case
from bot.cases.status import CaseStatus
from bot.db import StorageUnavailable
from tests.cases.conftest import JANE, KNEE_MRI, FakeClock

PATH_TO_CLOSED = (
    CaseStatus.RECORDS_REQUESTED,
    CaseStatus.IMAGES_RECEIVED,
    CaseStatus.UNDER_REVIEW,
    CaseStatus.REPORT_READY,
    CaseStatus.CLOSED,
)


def open_case(service: CaseService, conversation_id: str) -> str:
    return service.open_case(conversation_id, "rest", JANE, KNEE_MRI).number


def close(service: CaseService, number: str) -> None:
    for status in PATH_TO_CLOSED:
        service.change_status(number, status, "staff:ana")


def numbers(sessions: sessionmaker[Session]) -> set[str]:
    with sessions() as session:
        return set(session.scalars(select(Case.number)))


def test_only_cases_closed_over_a_year_ago_are_erased(
    service: CaseService, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    old_closed, old_cancelled = open_case(service, "c-closed"), open_case(service, "c-cancelled")
    still_open = open_case(service, "c-open")
    close(service, old_closed)
    service.change_status(old_cancelled, CaseStatus.CANCELLED, "staff:ana")
    clock.advance(timedelta(days=300))
    recently_closed = open_case(service, "c-recent")
    close(service, recently_closed)
    clock.advance(timedelta(days=66))  # the first two closed 366 days ago

    assert service.purge_expired(lambda _name: None) == 2

    assert numbers(sessions) == {still_open, recently_closed}
    with sessions() as session:
        actors = list(
            session.scalars(
                select(AuditEntry.actor).where(AuditEntry.action == "patient_data.deleted")
            )
        )
    assert actors == ["retention", "retention"]
    assert service.purge_expired(lambda _name: None) == 0


async def test_the_daily_job_survives_a_database_outage(monkeypatch: pytest.MonkeyPatch) -> None:
    runs: list[str] = []

    def failing_purge() -> int:
        runs.append("run")
        if len(runs) == 1:
            raise StorageUnavailable("down")
        return 0

    monkeypatch.setattr(retention, "purge_once", failing_purge)
    task = asyncio.create_task(retention.purge_daily(first_delay=0, interval=0.01))
    while len(runs) < 3:
        await asyncio.sleep(0.01)
    task.cancel()
    assert len(runs) >= 3
