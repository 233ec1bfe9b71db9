"""Alembic environment: the URL comes from bot.db; Rasa's `events` table is never touched."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import URL, text

import bot.letters.models  # the records requests (registered on Base.metadata too)
import bot.notify.telegram.tables  # the Telegram bridge's telegram_* tables
import bot.staff.models  # registers the console's tables on Base.metadata
import bot.storage.tables  # noqa: F401  (the shared upload store's stored_file* tables)
from bot.cases.models import Base
from bot.db import database_url, include_object, make_engine

config = context.config
# Any constant shared by every release: the key of the advisory lock migrations run under.
MIGRATION_LOCK_KEY = 0x5EC0_0D4EAD
if config.attributes.get("configure_logging", True) and config.config_file_name:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str | URL:
    url: str | URL | None = config.attributes.get("database_url")
    return url if url is not None else database_url()


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=Base.metadata,
        include_object=include_object,
        compare_type=True,
        **kwargs,  # type: ignore[arg-type]
    )


def run_migrations_offline() -> None:
    _configure(url=_url(), literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(_url())
    try:
        with engine.connect() as connection:
            _configure(connection=connection)
            with context.begin_transaction():
                if connection.dialect.name == "postgresql":
                    # Several web apps migrate as they start (deploy/systemd): the first holds
                    # this lock until its migrations commit; the others then find the schema
                    # current and do nothing, instead of failing on tables made meanwhile.
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                       {"key": MIGRATION_LOCK_KEY})  # fmt: skip
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
