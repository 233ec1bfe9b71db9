"""UPLOAD_QUEUE and UPLOAD_STORAGE: the shared queue by default exactly when the database is
PostgreSQL; the shared store only when asked, and only on PostgreSQL."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, Settings

PG = "postgresql+psycopg://secondread@db.internal/secondread"


@pytest.mark.parametrize(
    ("env", "shared"),
    [
        ({}, False),  # SQLite under VAR_DIR: one node, the in-process queue
        ({"DATABASE_URL": PG}, True),
        ({"DATABASE_URL": PG, "UPLOAD_QUEUE": "local"}, False),
        ({"DATABASE_URL": PG, "UPLOAD_QUEUE": "shared"}, True),
    ],
)
def test_which_queue(env: dict[str, str], shared: bool) -> None:
    assert Settings.from_env({"VAR_DIR": "var", **env}).shared_upload_queue is shared


def test_an_unknown_queue_is_refused_by_name() -> None:
    with pytest.raises(ConfigError, match="UPLOAD_QUEUE must be one of: auto, local, shared"):
        Settings.from_env({"UPLOAD_QUEUE": "redis"})


def test_the_shared_queue_needs_postgresql() -> None:
    with pytest.raises(ConfigError, match="UPLOAD_QUEUE=shared needs DATABASE_URL on PostgreSQL"):
        Settings.from_env({"VAR_DIR": "var", "UPLOAD_QUEUE": "shared"})


def test_the_shared_store_needs_postgresql_and_is_not_the_default() -> None:
    assert Settings.from_env({"VAR_DIR": "var", "DATABASE_URL": PG}).upload_storage == "local"
    shared = Settings.from_env({"DATABASE_URL": PG, "UPLOAD_STORAGE": "database"})
    assert shared.upload_storage == "database"
    with pytest.raises(ConfigError, match="UPLOAD_STORAGE=database needs DATABASE_URL on Postg"):
        Settings.from_env({"VAR_DIR": "var", "UPLOAD_STORAGE": "database"})
    with pytest.raises(ConfigError, match="UPLOAD_STORAGE must be one of: local, database"):
        Settings.from_env({"UPLOAD_STORAGE": "s3"})
