"""Migrations on both backends: from empty to head, Rasa's `events` left alone, models in step,
and the audit table append-only in the database itself."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, insert, inspect, select, text
from sqlalchemy.exc import DBAPIError

import bot.letters.models  # the records requests are ours too
import bot.notify.telegram.tables  # the Telegram bridge's state (telegram_*) too
import bot.staff.models  # the console's tables are ours too
import bot.storage.tables  # noqa: F401  (the shared upload store's tables too)
from bot.cases.models import AuditEntry, Base
from bot.db import alembic_config, include_object, make_engine, migrate
from tests.cases.conftest import RASA_EVENTS, Backend, count_events, create_rasa_events

OUR_TABLES = {
    "patients",
    "consent_records",
    "cases",
    "case_status_changes",
    "uploads",
    "upload_files",
    "used_upload_links",
    "staff_notes",
    "audit_entries",
    "status_lookup_attempts",
    "status_lookup_failures",
    # The staff console's (bot/staff/models.py).
    "staff_users",
    "staff_sessions",
    "login_throttle",
    "conversation_reviews",
    "conversation_tags",
    "conversation_notes",
    "conversation_presence",
    # The records requests and their follow-ups (bot/letters/models.py).
    "records_requests",
    # Files of resumable uploads while they arrive (migration 0009).
    "resumable_files",
    # The Telegram bridge's state, used when the database is PostgreSQL
    # (bot/notify/telegram/tables.py).
    "telegram_processed_updates",
    "telegram_red_flag_answers",
    "telegram_chats",
    "telegram_prompts",
    "telegram_buttons",
    "telegram_report_photo_wanted",
    # The shared upload store (UPLOAD_STORAGE=database; bot/storage/tables.py).
    "stored_files",
    "stored_file_pages",
}


@pytest.fixture
def empty_engine(backend: Backend) -> Iterator[Engine]:
    engine = make_engine(backend.new_empty_database())
    yield engine
    engine.dispose()


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def _head_revision(url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def _columns(engine: Engine, table: str) -> list[tuple[str, str, bool]]:
    return [(c["name"], str(c["type"]), c["nullable"]) for c in inspect(engine).get_columns(table)]


def _current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_upgrade_from_empty_creates_every_table(empty_engine: Engine) -> None:
    url = empty_engine.url
    assert _tables(empty_engine) == set()
    migrate(url)
    assert _tables(empty_engine) == OUR_TABLES | {"alembic_version"}
    assert _current_revision(empty_engine) == _head_revision(str(url))
    migrate(url)  # a second run is a no-op
    assert _current_revision(empty_engine) == _head_revision(str(url))


def test_migrations_leave_rasa_events_alone(empty_engine: Engine) -> None:
    create_rasa_events(empty_engine, {"conv-a": ["hello", "my knee"], "conv-b": ["hi"]})
    columns_before = _columns(empty_engine, "events")

    migrate(empty_engine.url)
    assert "events" in _tables(empty_engine)
    assert count_events(empty_engine) == 3
    assert _columns(empty_engine, "events") == columns_before

    command.downgrade(alembic_config(empty_engine.url), "base")
    assert _tables(empty_engine) == {"events", "alembic_version"}
    with empty_engine.connect() as connection:
        texts = connection.execute(select(RASA_EVENTS.c.data).order_by(RASA_EVENTS.c.id)).scalars()
        assert [t.split('"text": ')[1] for t in texts] == ['"hello"}', '"my knee"}', '"hi"}']


def test_models_match_the_migrations_and_ignore_events(engine: Engine) -> None:
    create_rasa_events(engine, {"conv-a": ["hello"]})
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": include_object, "compare_type": True}
        )
        assert compare_metadata(context, Base.metadata) == []


def _add_audit_entry(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(AuditEntry).values(
                at=datetime(2026, 1, 1, tzinfo=UTC),
                actor="staff:ana",
                action="case.status_changed",
                target_type="case",
                target_ref="SR-2026-0000000",
                source="staff",
                details={"from": "new", "to": "records_requested"},
            )
        )


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_entries SET actor = 'someone else'", "DELETE FROM audit_entries"],
    ids=["update", "delete"],
)
def test_audit_entries_are_append_only(engine: Engine, statement: str) -> None:
    _add_audit_entry(engine)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text(statement))
    with engine.connect() as connection:
        actors = connection.execute(text("SELECT actor FROM audit_entries")).scalars().all()
    assert actors == ["staff:ana"]
    _add_audit_entry(engine)  # inserting still works
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM audit_entries")).scalar_one() == 2


def test_audit_entries_cannot_be_truncated_on_postgresql(engine: Engine, backend: Backend) -> None:
    if backend.name != "postgresql":
        pytest.skip("TRUNCATE exists on PostgreSQL only")
    _add_audit_entry(engine)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text("TRUNCATE audit_entries"))


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    # On SQLite this depends on the PRAGMA that make_engine sets on every connection.
    with pytest.raises(DBAPIError), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO staff_notes (case_id, author, body, created_at)"
                " VALUES (424242, 'staff:ana', 'orphan', CURRENT_TIMESTAMP)"
            )
        )
