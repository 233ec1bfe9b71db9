"""Reading conversations from Rasa's `events` table, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.cases import CaseService
from bot.db import make_engine, session_factory
from bot.staff.reviews import Reviews, erase_conversation_reviews
from bot.transcripts.listing import ConversationFilter, Flag, ReviewFilter, list_conversations
from bot.transcripts.transcript import load_transcript
from tests.cases.conftest import JANE, KNEE_MRI, Backend, backend  # noqa: F401 (fixture)
from tests.console.rasa_events import Chat, sample_chats, store


@pytest.fixture
def db(backend: Backend) -> Iterator[Engine]:  # noqa: F811
    engine = make_engine(backend.clean_migrated_database())
    store(engine, *sample_chats())
    yield engine
    engine.dispose()


@pytest.fixture
def db_sessions(db: Engine) -> sessionmaker[Session]:
    return session_factory(db)


def ids(sessions: sessionmaker[Session], **filters: object) -> list[str]:
    with sessions() as session:
        page = list_conversations(session, ConversationFilter(**filters))  # type: ignore[arg-type]
    return [row.conversation_id for row in page.rows]


def test_one_row_per_conversation_with_its_flags(db_sessions: sessionmaker[Session]) -> None:
    with db_sessions() as session:
        page = list_conversations(session, ConversationFilter())
    rows = {row.conversation_id: row for row in page.rows}
    assert list(rows) == ["conv-urgent", "conv-confused", "conv-plain"]  # newest first
    assert "conv-silent" not in rows  # no message was ever exchanged
    plain, confused, urgent = rows["conv-plain"], rows["conv-confused"], rows["conv-urgent"]
    assert (plain.channel, plain.messages, plain.flags) == ("socketio", 4, [])
    assert plain.started_at == datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    assert (confused.fallbacks, confused.low_confidence, confused.handoff) == (2, 1, True)
    assert confused.flags == [Flag.HANDOFF, Flag.FALLBACK, Flag.LOW_CONFIDENCE]
    assert (urgent.channel, urgent.flags) == ("telegram", [Flag.RED_FLAG])
    assert page.total == 3 and page.pages == 1


def test_filters(db_sessions: sessionmaker[Session]) -> None:
    assert ids(db_sessions, channel="telegram") == ["conv-urgent"]
    assert ids(db_sessions, flag=Flag.FALLBACK) == ["conv-confused"]
    assert ids(db_sessions, flag=Flag.RED_FLAG) == ["conv-urgent"]
    assert ids(db_sessions, flag=Flag.HANDOFF) == ["conv-confused"]
    assert ids(db_sessions, flag=Flag.LOW_CONFIDENCE) == ["conv-confused"]
    assert ids(db_sessions, intent="ask_insurance") == ["conv-plain"]
    assert ids(db_sessions, text="CHEST PAIN") == ["conv-urgent"]  # case-insensitive
    assert ids(db_sessions, text="100%") == []  # LIKE wildcards are literal
    assert ids(db_sessions, text="conv-plain") == ["conv-plain"]
    day2 = datetime(2026, 3, 2, tzinfo=UTC)
    day3 = datetime(2026, 3, 3, tzinfo=UTC)
    assert ids(db_sessions, since=day2, until=day3) == ["conv-confused"]
    assert ids(db_sessions, since=day3) == ["conv-urgent"]


def test_review_status_tags_and_case_numbers(
    db_sessions: sessionmaker[Session], agent_principal: object
) -> None:
    reviews = Reviews(db_sessions, "secret")
    reviews.set_status(agent_principal, "conv-plain", "reviewed")  # type: ignore[arg-type]
    reviews.set_status(agent_principal, "conv-urgent", "follow_up")  # type: ignore[arg-type]
    reviews.add_tag(agent_principal, "conv-urgent", " Chest  Pain ")  # type: ignore[arg-type]
    assert ids(db_sessions, review=ReviewFilter.UNREVIEWED) == ["conv-confused"]
    assert ids(db_sessions, review=ReviewFilter.REVIEWED) == ["conv-plain"]
    assert ids(db_sessions, review=ReviewFilter.FOLLOW_UP) == ["conv-urgent"]
    assert ids(db_sessions, tag="chest pain") == ["conv-urgent"]
    case = CaseService(db_sessions).open_case("conv-confused", "rest", JANE, KNEE_MRI)
    assert ids(db_sessions, text=case.number.lower()) == ["conv-confused"]
    with db_sessions() as session:
        rows = list_conversations(session, ConversationFilter()).rows
    assert {r.conversation_id: r.case_number for r in rows}["conv-confused"] == case.number


def test_paging(db: Engine, db_sessions: sessionmaker[Session]) -> None:
    store(db, *[Chat(f"bulk-{n:02d}", start=1_700_000_000 + n).user("hi", "greet")
                for n in range(30)])
    with db_sessions() as session:
        first = list_conversations(session, ConversationFilter(), page=1, page_size=25)
        second = list_conversations(session, ConversationFilter(), page=2, page_size=25)
        beyond = list_conversations(session, ConversationFilter(), page=9, page_size=25)
    assert (first.total, first.pages, len(first.rows), len(second.rows)) == (33, 2, 25, 8)
    assert second.rows[-1].conversation_id == "bulk-00"
    assert beyond.page == 2


def test_no_events_table_yet(backend: Backend) -> None:  # noqa: F811
    engine = make_engine(backend.clean_migrated_database())
    try:
        with session_factory(engine)() as session:
            assert list_conversations(session, ConversationFilter()).total == 0
            assert load_transcript(session, "conv-plain") is None
    finally:
        engine.dispose()


def test_transcript(db: Engine, db_sessions: sessionmaker[Session]) -> None:
    clicked = Chat("conv-confused", start=1_772_499_000).user("/affirm", "affirm", 1.0)
    clicked.rows[0]["data"] = clicked.rows[0]["data"].replace(
        '"event": "user"', '"event": "user", "metadata": {"display_text": "Yes, go ahead"}')
    store(db, clicked, Chat("conv-confused", start=1_772_499_500)
          .slot("session_started_metadata", {"display_text": "hi"}))
    store(db, Chat("conv-confused", start=1_772_500_000).event("pause")
          .bot("Alex from the support team: hello", metadata={"staff": "alex"})
          .event("resume").slot("handoff_requested", False))
    with db_sessions() as session:
        plain = load_transcript(session, "conv-plain")
        confused = load_transcript(session, "conv-confused")
        assert load_transcript(session, "nobody") is None
    assert plain is not None and confused is not None
    said = [(i.kind, i.text) for i in plain.items]
    assert said == [
        ("marker", "New session"),
        ("user", "hi"),
        ("bot", "What would you like help with?"),
        ("user", "/ask_insurance"),
        ("bot", "Here is what is likely."),
    ]
    menu = plain.items[2]
    assert menu.buttons == [("Insurance and cost", "/ask_insurance")]
    greet = plain.items[1]
    assert (greet.intent, greet.confidence, greet.low_confidence) == ("greet", 0.97, False)
    first = confused.items[0]
    assert first.fallback and first.low_confidence
    button = next(i for i in confused.items if i.payload)
    assert (button.text, button.payload, button.intent) == ("Yes, go ahead", "/affirm", "affirm")
    staff = next(i for i in confused.items if i.kind == "staff")
    assert staff.author == "alex"
    assert [i.text for i in confused.items if i.kind == "marker"] == [
        "The bot was paused: a person is answering", "The bot was resumed"]
    assert confused.paused is False and confused.fallback_actions == 1
    assert confused.slots == {"handoff_requested": False}
    assert confused.channel == "rest"


def test_erasing_a_conversation_removes_staff_notes_and_tags(
    db_sessions: sessionmaker[Session], agent_principal: object
) -> None:
    reviews = Reviews(db_sessions, "secret")
    reviews.add_note(agent_principal, "conv-plain", "Jane called back")  # type: ignore[arg-type]
    reviews.add_tag(agent_principal, "conv-plain", "callback")  # type: ignore[arg-type]
    reviews.set_status(agent_principal, "conv-plain", "reviewed")  # type: ignore[arg-type]
    reviews.add_note(agent_principal, "conv-urgent", "kept")  # type: ignore[arg-type]
    with db_sessions.begin() as session:
        assert erase_conversation_reviews(session, "conv-plain") == 3
    state = reviews.review_of("conv-plain")
    assert (state.status, state.tags, state.notes) == (None, [], [])
    assert len(reviews.review_of("conv-urgent").notes) == 1


def test_taken_over_conversations_are_flagged(
    db: Engine, db_sessions: sessionmaker[Session]
) -> None:
    store(db, Chat("conv-urgent", start=1_772_600_000).event("pause"),
          Chat("conv-plain", start=1_772_600_000).event("pause").event("resume"))
    assert ids(db_sessions, flag=Flag.PAUSED) == ["conv-urgent"]
    with db_sessions() as session:
        found = list_conversations(session, ConversationFilter()).rows
    rows = {r.conversation_id: r for r in found}
    assert rows["conv-urgent"].flags[0] is Flag.PAUSED and not rows["conv-plain"].paused
    store(db, Chat("conv-urgent", start=1_772_700_000).event("resume"))
    assert ids(db_sessions, flag=Flag.PAUSED) == []
