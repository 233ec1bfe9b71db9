"""CaseService on both backends: consent, idempotent opening, status changes, storage errors."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.cases import (
    CaseNotFound,
    CaseService,
    CaseStatus,
    InvalidTransition,
    StorageUnavailable,
    is_valid_case_number,
)
from bot.cases.models import AuditEntry, Case, CaseStatusChange, Patient
from bot.db import make_engine, session_factory
from tests.cases.conftest import JANE, KNEE_MRI, Backend, FakeClock


def _count(sessions: sessionmaker[Session], model: type[object]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_latest_consent_record_wins(service: CaseService, clock: FakeClock) -> None:
    assert not service.has_consent("conv-1")
    decision = service.record_consent("conv-1", "rest", True, "2026-01")
    assert decision.granted and decision.recorded_at == clock.now
    assert service.has_consent("conv-1")
    clock.advance(timedelta(minutes=5))
    service.record_consent("conv-1", "rest", False, "2026-01")
    assert not service.has_consent("conv-1")
    assert not service.has_consent("conv-2")


def test_consent_recorded_in_the_same_instant_keeps_the_later_one(service: CaseService) -> None:
    service.record_consent("conv-1", "rest", False, "2026-01")
    service.record_consent("conv-1", "rest", True, "2026-01")
    assert service.has_consent("conv-1")


def test_open_case_stores_the_case_history_and_audit(
    service: CaseService, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    summary = service.open_case("conv-1", "rest", JANE, KNEE_MRI)
    assert summary.newly_opened
    assert summary.status is CaseStatus.NEW
    assert summary.number.startswith("SR-2026-") and is_valid_case_number(summary.number)
    assert summary.created_at == clock.now
    with sessions() as session:
        case = session.scalars(select(Case)).one()
        assert (case.number, case.conversation_id, case.exam_type) == (
            summary.number,
            "conv-1",
            "MRI",
        )
        assert case.insurance == {"plan_type": "PPO", "physician_request": True}
        assert case.patient.full_name == JANE.full_name
        assert case.patient.date_of_birth == JANE.date_of_birth
        history = session.scalars(select(CaseStatusChange)).all()
        assert [(h.from_status, h.to_status) for h in history] == [(None, "new")]
        audit = session.scalars(select(AuditEntry)).one()
        assert (audit.action, audit.target_ref) == ("case.opened", summary.number)


def test_open_case_twice_returns_the_same_case(
    service: CaseService, sessions: sessionmaker[Session]
) -> None:
    first = service.open_case("conv-1", "rest", JANE, KNEE_MRI)
    again = service.open_case("conv-1", "rest", JANE, replace(KNEE_MRI, body_part="hip"))
    assert again.number == first.number and not again.newly_opened
    assert again.body_part == "knee"
    other = service.open_case("conv-2", "rest", JANE, KNEE_MRI)
    assert other.number != first.number
    assert _count(sessions, Case) == 2
    assert _count(sessions, Patient) == 2


@pytest.mark.parametrize("attempt", range(3))
def test_racing_open_case_calls_make_one_case(
    service: CaseService, sessions: sessionmaker[Session], attempt: int
) -> None:
    start = threading.Barrier(2)
    numbers: list[str] = []
    errors: list[BaseException] = []

    def open_it() -> None:
        start.wait()
        try:
            numbers.append(service.open_case("conv-race", "rest", JANE, KNEE_MRI).number)
        except BaseException as exc:  # surfaced below; a thread would swallow it
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(numbers) == 2 and numbers[0] == numbers[1]
    assert _count(sessions, Case) == 1
    assert _count(sessions, Patient) == 1
    assert _count(sessions, CaseStatusChange) == 1
    assert _count(sessions, AuditEntry) == 1


def test_change_status_follows_the_path(
    service: CaseService, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    number = service.open_case("conv-1", "rest", JANE, KNEE_MRI).number
    path = [
        CaseStatus.RECORDS_REQUESTED,
        CaseStatus.IMAGES_RECEIVED,
        CaseStatus.UNDER_REVIEW,
        CaseStatus.REPORT_READY,
        CaseStatus.CLOSED,
    ]
    for status in path:
        clock.advance(timedelta(hours=1))
        summary = service.change_status(number.lower().replace("-", " "), status, "staff:ana", "ok")
        assert summary.status is status and summary.updated_at == clock.now
    with pytest.raises(InvalidTransition):
        service.change_status(number, CaseStatus.CANCELLED, "staff:ana")
    with sessions() as session:
        history = session.scalars(select(CaseStatusChange).order_by(CaseStatusChange.id)).all()
        assert [h.to_status for h in history] == ["new", *path]
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions == ["case.opened"] + ["case.status_changed"] * len(path)
        details = session.scalars(select(AuditEntry.details).order_by(AuditEntry.id)).all()
        assert details[-1] == {"from": "report_ready", "to": "closed"}


def test_change_status_refuses_skips_and_unknown_cases(
    service: CaseService, sessions: sessionmaker[Session]
) -> None:
    number = service.open_case("conv-1", "rest", JANE, KNEE_MRI).number
    with pytest.raises(InvalidTransition):
        service.change_status(number, CaseStatus.UNDER_REVIEW, "staff:ana")
    assert (
        service.change_status(number, CaseStatus.CANCELLED, "staff:ana").status
        is CaseStatus.CANCELLED
    )
    with pytest.raises(InvalidTransition):
        service.change_status(number, CaseStatus.RECORDS_REQUESTED, "staff:ana")
    for unknown in ("SR-2026-000000-0", "not a number"):
        with pytest.raises(CaseNotFound):
            service.change_status(unknown, CaseStatus.CANCELLED, "staff:ana")
    assert _count(sessions, CaseStatusChange) == 2


def test_database_errors_surface_as_storage_unavailable(backend: Backend) -> None:
    engine = make_engine(backend.new_migrated_database())  # its own: the schema is changed
    try:
        # The patient insert fails with the patient's details in its parameters.
        with engine.begin() as connection:
            connection.execute(text("DROP TABLE patients CASCADE" if backend.name == "postgresql"
                                    else "DROP TABLE patients"))  # fmt: skip
        with pytest.raises(StorageUnavailable) as caught:
            CaseService(session_factory(engine)).open_case("conv-1", "rest", JANE, KNEE_MRI)
    finally:
        engine.dispose()
    # Neither our message nor the wrapped driver error may repeat patient data.
    for message in (str(caught.value), str(caught.value.__cause__)):
        assert JANE.full_name not in message and str(JANE.email) not in message


def test_an_unmigrated_database_is_storage_unavailable(backend: Backend) -> None:
    engine = make_engine(backend.new_empty_database())
    try:
        service = CaseService(session_factory(engine))
        with pytest.raises(StorageUnavailable):
            service.record_consent("conv-1", "rest", True, "2026-01")
        with pytest.raises(StorageUnavailable):
            service.has_consent("conv-1")
    finally:
        engine.dispose()
