"""Revision 0002 (uploads become batches) on SQLite and PostgreSQL: up, down and up again,
old rows carried over, and the models in step with it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from bot.cases.models import Base
from bot.db import alembic_config, make_engine
from tests.cases.conftest import Backend

UPLOAD_TABLES = {"uploads", "upload_files"}


@pytest.fixture
def empty_engine(backend: Backend) -> Iterator[Engine]:
    engine = make_engine(backend.new_empty_database())
    yield engine
    engine.dispose()


def _upgrade(engine: Engine, revision: str) -> None:
    command.upgrade(alembic_config(engine.url), revision)


def _columns(engine: Engine, table: str) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns(table)}


def _upload_objects_only(obj: Any, name: str | None, type_: str, *_args: Any) -> bool:
    # Later revisions add other features' tables; this test is about 0002's.
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table in UPLOAD_TABLES


def test_upload_models_match_the_head_revision(empty_engine: Engine) -> None:
    _upgrade(empty_engine, "head")
    with empty_engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "include_object": _upload_objects_only},
        )
        assert compare_metadata(context, Base.metadata) == []


def test_upgrade_carries_old_rows_over(empty_engine: Engine) -> None:
    _upgrade(empty_engine, "0001")
    with empty_engine.begin() as connection:
        for status in ("accepted", "pending"):
            connection.execute(
                text(
                    "INSERT INTO uploads (conversation_id, stored_name, original_name, size_bytes,"
                    " sha256, kind, status, created_at) VALUES ('conv-a', :name, 'scan.zip', 5,"
                    " :sha, 'zip', :status, CURRENT_TIMESTAMP)"
                ),
                {"name": f"stored-{status}", "sha": "0" * 64, "status": status},
            )
    _upgrade(empty_engine, "0002")
    with empty_engine.connect() as connection:
        rows = connection.execute(
            text("SELECT public_id, status, file_count, size_bytes FROM uploads ORDER BY id")
        ).all()
    assert [(r.status, r.file_count, r.size_bytes) for r in rows] == [
        ("failed", 0, 5), ("pending", 0, 5),
    ]  # fmt: skip
    assert all(r.public_id.startswith("up_") for r in rows)
    assert len({r.public_id for r in rows}) == 2
    assert {"original_name", "sha256"}.isdisjoint(_columns(empty_engine, "uploads"))


def test_downgrade_and_upgrade_again(empty_engine: Engine) -> None:
    _upgrade(empty_engine, "0002")
    with empty_engine.begin() as connection:
        _insert_batch(connection)
    command.downgrade(alembic_config(empty_engine.url), "0001")
    assert "upload_files" not in inspect(empty_engine).get_table_names()
    assert {"original_name", "sha256"} <= _columns(empty_engine, "uploads")
    assert "public_id" not in _columns(empty_engine, "uploads")
    _upgrade(empty_engine, "0002")
    assert "upload_files" in inspect(empty_engine).get_table_names()


def _insert_batch(connection: Any) -> None:
    connection.execute(
        text(
            "INSERT INTO uploads (public_id, conversation_id, stored_name, file_count, size_bytes,"
            " kind, status, created_at) VALUES ('up_1', 'conv-a', 'dir-000001', 1, 3, 'file',"
            " 'checked', CURRENT_TIMESTAMP)"
        )
    )
    connection.execute(
        text(
            "INSERT INTO upload_files (upload_id, position, relative_path, stored_name,"
            " size_bytes, sha256) SELECT id, 1, 'a.dcm', 'f000001.sre', 3, :sha FROM uploads"
        ),
        {"sha": "0" * 64},
    )


def test_constraints_hold(empty_engine: Engine) -> None:
    _upgrade(empty_engine, "0002")
    with empty_engine.begin() as connection:
        _insert_batch(connection)
    bad_status = (
        "INSERT INTO uploads (public_id, conversation_id, stored_name, file_count, size_bytes,"
        " kind, status, created_at) VALUES ('up_2', 'c', 'dir-000002', 0, 0, 'file', 'accepted',"
        " CURRENT_TIMESTAMP)"
    )
    duplicate_id = bad_status.replace("'accepted'", "'pending'").replace("up_2", "up_1")
    duplicate_position = (
        "INSERT INTO upload_files (upload_id, position, relative_path, stored_name, size_bytes,"
        " sha256) SELECT id, 1, 'b.dcm', 'f000002.sre', 3, 'x' FROM uploads"
    )
    for statement in (bad_status, duplicate_id, duplicate_position):
        with pytest.raises(DBAPIError), empty_engine.begin() as connection:
            connection.execute(text(statement))
    with empty_engine.begin() as connection:  # files go with their upload
        connection.execute(text("DELETE FROM uploads"))
    with empty_engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM upload_files")).scalar_one() == 0


def test_via_link_defaults_to_false_for_existing_rows(empty_engine: Engine) -> None:
    _upgrade(empty_engine, "0003")
    with empty_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO uploads (public_id, conversation_id, stored_name, file_count,"
                " size_bytes, kind, status, created_at) VALUES ('up_old', 'conv-a', 'stored-old',"
                " 0, 0, 'zip', 'checked', CURRENT_TIMESTAMP)"
            )
        )
    _upgrade(empty_engine, "head")
    with empty_engine.connect() as connection:
        assert connection.execute(text("SELECT via_link FROM uploads")).scalar_one() in (0, False)
