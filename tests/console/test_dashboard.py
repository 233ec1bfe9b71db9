"""Dashboard figures (SQLite and PostgreSQL) and the page with its SVG charts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.cases import CaseService
from bot.cases.models import Upload
from bot.db import make_engine, session_factory
from bot.transcripts.stats import Funnel, dashboard
from bot.web.console.charts import _nice_top, day_chart, funnel
from tests.cases.conftest import JANE, KNEE_MRI, Backend, FakeClock, backend  # noqa: F401
from tests.console.conftest import audit_actions
from tests.console.rasa_events import Chat, sample_chats, store

MARCH_1 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def seed(engine: Engine, sessions: sessionmaker[Session]) -> None:
    """conv-plain (Mar 1) finished a journey; conv-confused (Mar 2) fell back twice and opened
    a case with a checked upload; conv-urgent (Mar 3) a red flag; plus an old chat (2023)."""
    store(engine, *sample_chats(), Chat("old", start=1_700_000_000).user("hi", "greet"),
          Chat("conv-more", start=1_772_366_500).user("asdf qwer", "nlu_fallback", 0.2)
          .user("ASDF  qwer", "nlu_fallback", 0.3))
    clock = FakeClock(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))
    CaseService(sessions, clock).open_case("conv-confused", "rest", JANE, KNEE_MRI)
    with sessions.begin() as session:
        session.add(Upload(public_id="up_1", conversation_id="conv-confused", stored_name="u" * 24,
                           file_count=1, size_bytes=1, kind="pdf", status="checked",
                           verdict={}, created_at=clock(), checked_at=clock()))


@pytest.fixture
def db(backend: Backend) -> Iterator[Engine]:  # noqa: F811
    engine = make_engine(backend.clean_migrated_database())
    yield engine
    engine.dispose()


def test_figures(db: Engine) -> None:
    sessions = session_factory(db)
    seed(db, sessions)
    with sessions() as session:
        data = dashboard(session, date(2026, 3, 3), days=7)
    assert data.since == date(2026, 2, 25) and len(data.days) == 7
    by_day = {d.day: (d.conversations, d.cases, d.uploads_checked) for d in data.days}
    assert by_day[date(2026, 3, 1)] == (2, 0, 0)  # conv-plain, conv-more
    assert by_day[date(2026, 3, 2)] == (1, 1, 1)
    assert by_day[date(2026, 3, 3)] == (1, 0, 0)
    assert data.funnel == Funnel(started=4, journey_finished=1, upload_checked=1, case_opened=1)
    assert (data.fallbacks, data.user_messages) == (1, 7)
    assert data.misunderstood == [("asdf qwer", 2), ("blorp my scan zzz", 1)]


def test_empty_database(db: Engine) -> None:
    with session_factory(db)() as session:
        data = dashboard(session, date(2026, 3, 3), days=14)
    assert data.funnel == Funnel(0, 0, 0, 0) and data.fallback_rate == 0.0
    assert sum(d.conversations for d in data.days) == 0


def test_chart_geometry() -> None:
    assert [_nice_top(v) for v in (0, 3, 5, 11, 20, 21, 480, 501)] == [4, 4, 5, 20, 20, 50,
                                                                       500, 1000]
    days = [date(2026, 3, n) for n in range(1, 5)]
    chart = day_chart("x", days, [0, 2, 4, 1])
    assert chart.top == 4 and chart.total == 7
    assert chart.bars[0].height == 0
    assert chart.bars[2].y == chart.plot_top  # the highest bar reaches the top line
    assert [s.percent for s in funnel([("a", 10), ("b", 5), ("c", 0)])] == [100, 50, 0]


def test_dashboard_page(
    signed_in: Callable[[str], TestClient], engine: Engine, sessions: sessionmaker[Session],
    clock: FakeClock,
) -> None:
    clock.now = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    agent = signed_in("alex")
    seed(engine, sessions)
    page = agent.get("/console/dashboard", params={"days": "7"})
    assert page.status_code == 200
    text = page.text
    assert text.count("<svg") == 4 and "<title>2026-03-02: 1</title>" in text
    assert "Case opened" in text and "1 (25%)" in text
    assert 'id="fallback-rate">14.3%' in text
    assert "asdf qwer" in text
    assert ("alex", "dashboard.viewed") in audit_actions(sessions)
    assert agent.get("/console/dashboard", params={"days": "999"}).status_code == 200
    assert agent.get("/console").headers["location"] == "/console/dashboard"
