"""Retention: data is kept while the case is open and up to 12 months after it closes (the
consent promise); a conversation that never became a case, 30 days after its last activity."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from bot import retention
from bot.cases import CaseService
from bot.cases.inactive import inactive_conversations, is_inactive
from bot.cases.models import AuditEntry, Case, ConsentRecord, Upload
from bot.cases.status import CaseStatus
from bot.config import Settings
from bot.db import StorageUnavailable
from tests.cases.conftest import (
    JANE,
    KNEE_MRI,
    RASA_EVENTS,
    RASA_METADATA,
    FakeClock,
    count_events,
)

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


# --- conversations that never became a case ---------------------------------------------------

INACTIVE = timedelta(days=30)


def add_events(engine: Engine, sender_id: str, at: datetime, texts: list[str]) -> None:
    RASA_METADATA.create_all(engine)
    with engine.begin() as connection:
        for position, message in enumerate(texts):
            connection.execute(
                insert(RASA_EVENTS).values(
                    sender_id=sender_id,
                    type_name="user",
                    timestamp=at.timestamp() + position,
                    data=f'{{"event": "user", "text": "{message}"}}',
                )
            )


def add_upload(sessions: sessionmaker[Session], conversation_id: str, at: datetime) -> str:
    stored = f"u-{conversation_id}"
    with sessions.begin() as session:
        session.add(
            Upload(
                public_id=f"up-{conversation_id}", conversation_id=conversation_id,
                stored_name=stored, file_count=1, size_bytes=10, kind="dicom",
                status="checked", created_at=at,
            )
        )  # fmt: skip
    return stored


def conversations_left(engine: Engine, sessions: sessionmaker[Session]) -> set[str]:
    with sessions() as session:
        ids = set(session.scalars(select(Upload.conversation_id)))
        ids |= set(session.scalars(select(ConsentRecord.conversation_id)))
    with engine.connect() as connection:
        ids |= {row[0] for row in connection.execute(text("SELECT sender_id FROM events"))}
    return ids


def test_conversations_without_a_case_are_erased_after_30_days_of_silence(
    service: CaseService, sessions: sessionmaker[Session], engine: Engine, clock: FakeClock
) -> None:
    now = clock.now
    # Silent for 31 days: a chat that gave a name and sent files, but opened no case.
    add_events(engine, "c-silent", now - timedelta(days=31), ["hi", "my name is Janet Q"])
    silent_files = add_upload(sessions, "c-silent", now - timedelta(days=40))
    service.record_consent("c-silent", "rest", True, "2026-11")  # at `now`, then moved back
    with sessions.begin() as session:
        session.execute(update(ConsentRecord).values(recorded_at=now - timedelta(days=35)))
    # Files only, no chat at all, 31 days ago.
    files_only = add_upload(sessions, "c-files-only", now - timedelta(days=31))
    # Old messages but a recent upload: still active.
    add_events(engine, "c-came-back", now - timedelta(days=90), ["hi"])
    add_upload(sessions, "c-came-back", now - timedelta(days=2))
    # Active 29 days ago.
    add_events(engine, "c-recent", now - timedelta(days=29), ["hi"])
    # A case: kept by the case's own rule, however silent.
    open_case(service, "c-case")
    add_events(engine, "c-case", now - timedelta(days=300), ["hi"])

    removed: list[str] = []
    assert service.purge_inactive(removed.append, INACTIVE) == 2

    assert sorted(removed) == sorted([silent_files, files_only])
    assert conversations_left(engine, sessions) == {"c-came-back", "c-recent", "c-case"}
    assert count_events(engine, "c-silent") == 0
    with sessions() as session:
        entries = list(
            session.scalars(select(AuditEntry).where(AuditEntry.action == "patient_data.deleted"))
        )
    assert [(e.actor, e.details["reason"], e.target_ref) for e in entries] == [
        ("retention", "inactive", None),
        ("retention", "inactive", None),
    ]
    assert "Janet" not in repr([e.details for e in entries])
    assert service.purge_inactive(removed.append, INACTIVE) == 0


def test_a_case_opened_meanwhile_is_never_erased(
    service: CaseService, sessions: sessionmaker[Session], engine: Engine, clock: FakeClock
) -> None:
    add_events(engine, "c-late", clock.now - timedelta(days=31), ["hi"])
    cutoff = clock.now - INACTIVE
    with sessions() as session:
        assert inactive_conversations(session, cutoff) == ["c-late"]
    open_case(service, "c-late")  # between the listing and the erasure
    with sessions() as session:
        assert not is_inactive(session, "c-late", cutoff)
        assert inactive_conversations(session, cutoff) == []


def test_purge_once_uses_the_configured_period(
    monkeypatch: pytest.MonkeyPatch, database_url: str, engine: Engine, tmp_path: Path
) -> None:
    from bot.cases.runtime import case_service

    monkeypatch.setenv("DATABASE_URL", database_url)
    case_service.cache_clear()
    try:
        now = datetime.now(UTC)
        add_events(engine, "c-10-days", now - timedelta(days=10), ["hi"])
        add_events(engine, "c-40-days", now - timedelta(days=40), ["hi"])
        settings = Settings.from_env({"VAR_DIR": str(tmp_path)})
        assert settings.inactive_retention_days == 30
        assert retention.purge_once(settings) == retention.Purged(closed_cases=0, inactive=1)
        week = Settings.from_env({"VAR_DIR": str(tmp_path), "RETENTION_INACTIVE_DAYS": "7"})
        assert retention.purge_once(week).inactive == 1
        assert count_events(engine) == 0
    finally:
        case_service.cache_clear()
    with pytest.raises(ValueError, match="RETENTION_INACTIVE_DAYS"):
        Settings.from_env({"RETENTION_INACTIVE_DAYS": "0"})
