"""Records requests in the database: the follow-up clock, once-only sending across nodes and
restarts, and the check of what arrived since the request."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.cases.models import Upload
from bot.db import make_engine, session_factory
from bot.imaging.verdict import Report, Study, Verdict
from bot.letters.requests import RecordsRequests
from tests.cases.conftest import FakeClock

DAY = timedelta(days=1)


def add_checked_upload(
    sessions: sessionmaker[Session], conversation_id: str, at: datetime, verdict: Verdict
) -> None:
    with sessions.begin() as session:
        session.add(
            Upload(
                public_id=f"up_{at.timestamp()}", conversation_id=conversation_id,
                stored_name=f"s{at.timestamp()}", file_count=1, size_bytes=1, kind="dicom",
                status="checked", verdict=verdict.to_dict(), created_at=at,
            )
        )  # fmt: skip


def ct(report: bool) -> Verdict:
    chest = Study(
        date=date(2026, 2, 1), modalities=("CT",), description="", exam_type="ct",
        body_part="chest", age_years=None, series_count=2, image_count=200, series=(),
    )  # fmt: skip
    reports = (Report(kind="text"),) if report else ()
    return Verdict(ok=True, message="", studies=(chest,), reports=reports)


def test_nothing_is_due_before_day_10_then_day_10_once(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    requests = RecordsRequests(sessions, clock)
    requests.record("conv-a", "socketio", "Harbor Imaging", "CT of the chest")
    clock.advance(10 * DAY - timedelta(minutes=1))
    assert requests.due() == []
    clock.advance(timedelta(minutes=1))
    (due,) = requests.due()
    assert (due.conversation_id, due.channel, due.step) == ("conv-a", "socketio", "day10")
    assert requests.mark_sent(due)
    assert not requests.mark_sent(due)  # a second node, or the same one again
    assert requests.due() == []
    clock.advance(20 * DAY)
    (due,) = requests.due()
    assert due.step == "day30"
    assert requests.mark_sent(due)
    clock.advance(365 * DAY)
    assert requests.due() == []


def test_the_schedule_survives_a_restart(
    engine: Engine, database_url: str, clock: FakeClock
) -> None:
    RecordsRequests(session_factory(engine), clock).record("conv-b", "telegram", "X", "")
    engine.dispose()  # the process stops; a new one starts on the same database
    clock.advance(11 * DAY)
    fresh = make_engine(database_url)
    try:
        (due,) = RecordsRequests(session_factory(fresh), clock).due()
        assert due.step == "day10"
    finally:
        fresh.dispose()


def test_a_released_follow_up_is_due_again(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    requests = RecordsRequests(sessions, clock)
    requests.record("conv-c", "rest", "X", "")
    clock.advance(10 * DAY)
    (due,) = requests.due()
    assert requests.mark_sent(due)
    requests.release(due)  # Rasa was unreachable
    assert requests.due() == [due]


def test_writing_the_letter_again_restarts_the_clock(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    requests = RecordsRequests(sessions, clock)
    requests.record("conv-d", "rest", "Old Center", "")
    clock.advance(10 * DAY)
    (old,) = requests.due()
    requests.record("conv-d", "rest", "New Center", "MRI of the knee")
    assert requests.due() == []
    assert not requests.mark_sent(old)  # claimed for the earlier letter: not this one's
    status = requests.status("conv-d")
    assert status is not None
    assert (status.center_name, status.exam, status.follow_ups_sent) == (
        "New Center", "MRI of the knee", 0,
    )  # fmt: skip


def test_images_and_report_since_the_request_end_the_follow_ups(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    requests = RecordsRequests(sessions, clock)
    add_checked_upload(sessions, "conv-e", clock.now - DAY, ct(report=True))  # before: no
    requests.record("conv-e", "rest", "X", "")
    status = requests.status("conv-e")
    assert status is not None and not status.arrived.anything

    add_checked_upload(sessions, "conv-e", clock.now + 2 * DAY, ct(report=False))
    clock.advance(10 * DAY)
    status = requests.status("conv-e")
    assert status is not None and status.arrived.missing == ("report", "priors")
    (due,) = requests.due()  # the report is still missing: ask
    assert requests.mark_sent(due)

    add_checked_upload(sessions, "conv-e", clock.now + DAY, ct(report=True))
    clock.advance(20 * DAY)
    assert requests.due() == []  # complete: no day-30 message
    status = requests.status("conv-e")
    assert status is not None and status.arrived.complete


def test_no_status_without_a_request(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    assert RecordsRequests(sessions, clock).status("conv-none") is None


def test_times_are_kept_in_utc(sessions: sessionmaker[Session], clock: FakeClock) -> None:
    requests = RecordsRequests(sessions, clock)
    requests.record("conv-f", "rest", "X", "")
    status = requests.status("conv-f")
    assert status is not None
    assert status.requested_at == clock.now and status.requested_at.tzinfo == UTC
    assert status.requested_at == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
