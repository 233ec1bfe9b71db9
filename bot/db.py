"""Database plumbing: which database, how to connect, and migrating it to the latest schema.

SQLite (the default, under var/) and PostgreSQL are both supported. Rasa's SQL tracker store
keeps its `events` table in the same database, so our migrations must leave that table alone.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SQLITE_BUSY_TIMEOUT_MS = 10_000
# Tables that belong to Rasa, not to our migrations.
RASA_TABLES = frozenset({"events"})


def database_url(env: Mapping[str, str] | None = None) -> str:
    """`DATABASE_URL`, or the SQLite file Rasa's tracker store also uses under `VAR_DIR`
    (as Settings reads them)."""
    return Settings.from_env(env).database


def _with_driver(url: str | URL) -> URL:
    parsed = make_url(url)
    # Plain `postgresql://` would pick psycopg2, which we do not install.
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str | URL) -> Engine:
    parsed = _with_driver(url)
    if parsed.get_backend_name() != "sqlite":
        # hide_parameters: error messages and logs would otherwise carry patient data.
        return create_engine(parsed, pool_pre_ping=True, hide_parameters=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, hide_parameters=True)
    event.listen(engine, "connect", _configure_sqlite_connection)
    return engine


def _configure_sqlite_connection(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # SQLite ignores foreign keys (and so ON DELETE CASCADE) unless asked, per connection.
        cursor.execute("PRAGMA foreign_keys = ON")
        # The action server, the web app and Rasa write to one file: wait for a lock, don't fail.
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        # WAL lets readers proceed while another process writes.
        cursor.execute("PRAGMA journal_mode = WAL")
    finally:
        cursor.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic filter: never autogenerate anything for Rasa's tables (or their indexes)."""
    if type_ == "table":
        return name not in RASA_TABLES
    table = getattr(obj, "table", None)
    return getattr(table, "name", None) not in RASA_TABLES


def alembic_config(url: str | URL) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    # Passed as an attribute, not an ini option: ini interpolation would mangle '%' in passwords.
    config.attributes["database_url"] = _with_driver(url)
    # Programmatic runs must not let alembic.ini reconfigure the application's logging.
    config.attributes["configure_logging"] = False
    return config


def migrate(url: str | URL | None = None) -> None:
    """Bring the database to the latest schema (`alembic upgrade head`)."""
    command.upgrade(alembic_config(url or database_url()), "head")


if __name__ == "__main__":  # `python -m bot.db` migrates the configured database.
    migrate()


logger = logging.getLogger(__name__)


class StorageUnavailable(Exception):
    """The database could not be reached or refused the write; nothing was changed.
    The message never carries patient data, so it is safe to log."""


@contextmanager
def storage_errors(operation: str) -> Iterator[None]:
    """Database failures as StorageUnavailable, which callers turn into a kind message."""
    try:
        yield
    except (DBAPIError, PoolTimeout) as exc:
        # The type only: even without parameters, messages are not ours to vouch for.
        logger.warning("storage error during %s: %s", operation, type(exc).__name__)
        raise StorageUnavailable(f"the database is unavailable ({operation})") from exc
