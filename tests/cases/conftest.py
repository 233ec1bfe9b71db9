"""Fixtures: every database test runs on SQLite and on a real PostgreSQL server.

Each backend is migrated once, into a template. SQLite tests get a copy of the template file.
PostgreSQL tests share one migrated database emptied before each test (CREATE DATABASE costs
~0.3 s, TRUNCATE a few ms); tests that change the schema ask for a new database instead.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import (
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    insert,
    text,
)
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from bot.cases import CaseDetails, CaseService, ContactDetails
from bot.cases.models import Base
from bot.db import make_engine, migrate, session_factory
from tests.cases.postgres import running_postgres

_counter = itertools.count()


@dataclass(frozen=True)
class Backend:
    name: str
    new_empty_database: Callable[[], str]
    new_migrated_database: Callable[[], str]
    # Migrated and without rows, but possibly reused: never change its schema.
    clean_migrated_database: Callable[[], str]


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    if request.param == "sqlite":
        yield _sqlite_backend(tmp_path_factory.mktemp("sqlite"))
    else:
        with running_postgres() as server:
            admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
            try:
                yield _postgres_backend(admin, server.url)
            finally:
                admin.dispose()


def _sqlite_backend(folder: Path) -> Backend:
    def new_empty() -> str:
        return f"sqlite:///{folder / f'test-{next(_counter)}.db'}"

    template = new_empty()
    migrate(template)
    template_path = Path(template.removeprefix("sqlite:///"))
    # migrate() disposed its engine, so the WAL was checkpointed into the main file.
    assert not Path(f"{template_path}-wal").exists()

    def new_migrated() -> str:
        url = new_empty()
        shutil.copyfile(template_path, url.removeprefix("sqlite:///"))
        return url

    return Backend("sqlite", new_empty, new_migrated, new_migrated)


def _postgres_backend(admin: Engine, url_of: Callable[[str], str]) -> Backend:
    def create(template: str = "template0") -> str:
        name = f"test_{next(_counter)}"
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name} TEMPLATE {template}"))
        return url_of(name)

    template_url = create()
    migrate(template_url)
    template_name = template_url.rsplit("/", 1)[1]
    shared_url = create(template_name)
    shared = create_engine(shared_url, poolclass=NullPool)

    def clean() -> str:
        _empty_postgres_tables(shared)
        return shared_url

    return Backend("postgresql", create, lambda: create(template_name), clean)


def _empty_postgres_tables(engine: Engine) -> None:
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        # A test that leaked a connection should fail here, not hang.
        connection.execute(text("SET LOCAL lock_timeout = '10s'"))
        # Test set-up only: lift the append-only guard inside this one transaction.
        connection.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY"))
        connection.execute(text("ALTER TABLE audit_entries ENABLE TRIGGER USER"))
        connection.execute(text("DROP TABLE IF EXISTS events"))


@pytest.fixture
def database_url(backend: Backend) -> str:
    return backend.clean_migrated_database()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def service(sessions: sessionmaker[Session], clock: FakeClock) -> CaseService:
    return CaseService(sessions, clock=clock)


# --- sample data -----------------------------------------------------------------------------

JANE = ContactDetails(
    full_name="Janet Quillfeather",
    date_of_birth=date(1971, 8, 23),
    email="janet.quillfeather@example.org",
    phone="+16175550142",
)
KNEE_MRI = CaseDetails(
    exam_type="MRI",
    body_part="knee",
    reason="Surgeon suggested a second read before arthroscopy",
    suggested_subspecialty="musculoskeletal",
    exam_date=date(2026, 2, 10),
    facility="Harbor Imaging",
    insurance={"plan_type": "PPO", "physician_request": True},
)


# --- Rasa's tracker table, as Rasa 3.6's SQLTrackerStore creates it ----------------------------

RASA_METADATA = MetaData()
RASA_EVENTS = Table(
    "events",
    RASA_METADATA,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


def create_rasa_events(engine: Engine, rows: dict[str, list[str]]) -> None:
    """Create `events` (if missing) and add one `user` event per text, per sender."""
    RASA_METADATA.create_all(engine)
    with engine.begin() as connection:
        for sender_id, texts in rows.items():
            for position, message in enumerate(texts):
                connection.execute(
                    insert(RASA_EVENTS).values(
                        sender_id=sender_id,
                        type_name="user",
                        timestamp=1_700_000_000.0 + position,
                        data=f'{{"event": "user", "text": "{message}"}}',
                    )
                )


def count_events(engine: Engine, sender_id: str | None = None) -> int:
    query = "SELECT COUNT(*) FROM events"
    with engine.connect() as connection:
        if sender_id is None:
            return int(connection.execute(text(query)).scalar_one())
        where = text(f"{query} WHERE sender_id = :sender")
        return int(connection.execute(where, {"sender": sender_id}).scalar_one())
