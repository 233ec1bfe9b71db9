"""The storage tests run on both stores: this host's directory (the default) and the shared one
in a real PostgreSQL (bot/storage/files.py, UPLOAD_STORAGE=database). Tests that tamper with
stored bytes do it through the store, so the same tampering is caught on both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.db import make_engine, migrate
from bot.storage.files import DatabaseFiles, LocalFiles, file_store, using_file_store
from tests.cases.postgres import running_postgres

# A page smaller than the tests' chunks: reads and writes cross page boundaries everywhere.
TEST_PAGE_SIZE = 1000


@pytest.fixture(scope="session")
def store_database() -> Iterator[Engine]:
    with running_postgres() as server:
        migrate(server.url())
        engine = make_engine(server.url())
        yield engine
        engine.dispose()


@pytest.fixture(params=["local", "database"])
def file_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "local":
        with using_file_store(LocalFiles()):
            yield "local"
        return
    engine = request.getfixturevalue("store_database")
    # Rooted above every test's tmp_path: each test's files have keys of their own.
    root = tmp_path.parent.parent
    with using_file_store(DatabaseFiles(engine, root, page_size=TEST_PAGE_SIZE)):
        yield "database"


def raw(path: Path) -> bytes:
    """The stored (encrypted) bytes, as the store holds them."""
    with file_store().open_read(path) as stream:
        return stream.read()


def put_raw(path: Path, data: bytes) -> None:
    """Replace the stored bytes (tampering, or a foreign file)."""
    file_store().unlink(path)
    with file_store().create(path) as stream:
        stream.write(data)
