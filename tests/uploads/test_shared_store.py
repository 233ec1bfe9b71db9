"""The shared upload store (UPLOAD_STORAGE=database) on a real PostgreSQL: bytes in the database
and none on the host's disk, ciphertext only, a resumable file appended by one host and finished
by another, whole directories removed without touching their neighbours, and a tus upload sent
in halves to two web apps, stored once and checked once."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from bot.config import Settings
from bot.db import session_factory
from bot.storage.encrypted import open_encrypted, write_encrypted
from bot.storage.files import DatabaseFiles, using_file_store
from bot.storage.resumable import ResumableWriter, tail_path
from bot.storage.tables import STORED_FILE_PAGES, STORED_FILES
from bot.uploads.service import UploadService
from bot.web.uploads_api import UploadsApi
from tests.uploads.conftest import FakeInspector, bearer, make_app, make_settings, wait_for
from tests.uploads.test_tus import _begin, _complete, _create, _head, _location, _patch

KEY = os.urandom(32)
CHUNK = 4096


def _rows(engine: Engine, prefix: str) -> dict[str, bytes]:
    """Each stored file under `prefix`, its pages joined: what the database holds."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(STORED_FILE_PAGES.c.path, STORED_FILE_PAGES.c.data)
            .where(STORED_FILE_PAGES.c.path.startswith(prefix, autoescape=True))
            .order_by(STORED_FILE_PAGES.c.path, STORED_FILE_PAGES.c.page)
        ).all()
    joined: dict[str, bytes] = {}
    for path, data in rows:
        joined[path] = joined.get(path, b"") + bytes(data)
    return joined


@pytest.fixture
def hosts(store_database: Engine, tmp_path: Path) -> tuple[DatabaseFiles, DatabaseFiles, str]:
    """Two hosts' stores: different VAR_DIRs, one database. Keys are relative to each root."""
    name = tmp_path.name  # unique within the session's database
    first = DatabaseFiles(store_database, tmp_path / "host-a" / "uploads", page_size=1000)
    second = DatabaseFiles(store_database, tmp_path / "host-b" / "uploads", page_size=1000)
    return first, second, name


def test_the_bytes_are_ciphertext_in_the_database_and_nothing_on_disk(
    hosts: tuple[DatabaseFiles, DatabaseFiles, str], tmp_path: Path
) -> None:
    first, _, name = hosts
    marker = b"PATIENT-NAME-MARKER " * 500
    path = tmp_path / "host-a" / "uploads" / name / "f000001.sre"
    with using_file_store(first):
        first.make_dir(path.parent)
        written = write_encrypted(path, KEY, [marker], chunk_size=CHUNK)
        with open_encrypted(path, KEY) as stream:
            assert stream.read() == marker
    assert written.size == len(marker)
    stored = _rows(first.engine, f"{name}/")
    assert list(stored) == [f"{name}/f000001.sre"]
    assert len(stored[f"{name}/f000001.sre"]) == first.size(path) > len(marker)
    assert b"PATIENT-NAME-MARKER" not in stored[f"{name}/f000001.sre"]
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_a_file_appended_on_one_host_is_resumed_and_finished_on_another(
    hosts: tuple[DatabaseFiles, DatabaseFiles, str], tmp_path: Path
) -> None:
    first, second, name = hosts
    data = os.urandom(3 * CHUNK + 123)
    on_a = tmp_path / "host-a" / "uploads" / name / "f000001.sre"
    on_b = tmp_path / "host-b" / "uploads" / name / "f000001.sre"
    with using_file_store(first):
        writer = ResumableWriter.create(on_a, KEY, CHUNK, length=len(data))
        writer.write(data[: CHUNK + 50])  # one sealed chunk, 50 bytes for the tail
        assert writer.suspend() == CHUNK + 50
    assert first.exists(tail_path(on_a))  # the tail is shared too, not left on host A
    with using_file_store(second):
        writer = ResumableWriter.resume(on_b, KEY, length=len(data))  # no running hash here
        assert writer.size == CHUNK + 50
        writer.write(data[CHUNK + 50 :])
        result = writer.finish()
        assert not second.exists(tail_path(on_b))
    assert result.size == len(data)
    with using_file_store(first), open_encrypted(on_a, KEY) as stream:
        assert stream.read() == data
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_removing_a_directory_leaves_names_that_only_look_alike(
    hosts: tuple[DatabaseFiles, DatabaseFiles, str], tmp_path: Path
) -> None:
    first, _, name = hosts
    root = tmp_path / "host-a" / "uploads"
    # "_" is a LIKE wildcard: "a_c" must not match "abc".
    kept = [root / f"{name}abc" / "f000001.sre", root / f"{name}a_cd" / "f000001.sre"]
    gone = [root / f"{name}a_c" / "f000001.sre", root / f"{name}a_c" / "f000002.sre"]
    with using_file_store(first):
        for path in kept + gone:
            write_encrypted(path, KEY, [b"x"])
    first.remove_tree(root / f"{name}a_c")
    assert [first.exists(path) for path in kept + gone] == [True, True, False, False]
    with first.engine.connect() as connection:
        orphans = connection.scalars(
            select(STORED_FILE_PAGES.c.path).where(
                STORED_FILE_PAGES.c.path.not_in(select(STORED_FILES.c.path))
            )
        ).all()
    assert orphans == []  # pages go with their file


def test_files_outside_the_uploads_directory_stay_on_the_host(
    hosts: tuple[DatabaseFiles, DatabaseFiles, str], tmp_path: Path
) -> None:
    first, _, _ = hosts
    letter = tmp_path / "host-a" / "letters" / "letter.sre"
    letter.parent.mkdir(parents=True)
    with using_file_store(first):
        write_encrypted(letter, KEY, [b"a letter"])
        with open_encrypted(letter, KEY) as stream:
            assert stream.read() == b"a letter"
    assert letter.is_file()


@pytest.fixture
def two_web_apps(
    store_database: Engine, tmp_path: Path
) -> Iterator[tuple[TestClient, TestClient, Settings, list[FakeInspector]]]:
    url = store_database.url.render_as_string(hide_password=False)
    settings = replace(make_settings(tmp_path / "var"), database_url=url)
    assert settings.shared_upload_queue
    inspectors = [FakeInspector(), FakeInspector()]
    service = UploadService(session_factory(store_database), settings)
    store = DatabaseFiles(store_database, settings.uploads_dir)
    apps = [make_app(UploadsApi(settings, service, inspect=one)) for one in inspectors]
    with using_file_store(store), TestClient(apps[0]) as first, TestClient(apps[1]) as second:
        yield first, second, settings, inspectors


def test_a_tus_upload_sent_in_halves_to_two_web_apps_is_stored_once_and_checked_once(
    two_web_apps: tuple[TestClient, TestClient, Settings, list[FakeInspector]],
    store_database: Engine,
) -> None:
    first, second, settings, inspectors = two_web_apps
    conversation = f"conv-{os.urandom(4).hex()}"
    data = os.urandom(2 * 1024 * 1024 + 12345)  # the last PATCH on A ends mid-chunk
    upload = _begin(first, conversation)
    url = _location(_create(first, upload, len(data), conversation=conversation))
    half = len(data) // 2
    assert _patch(first, url, 0, data[:half], conversation).status_code == 204
    # The next request lands on the other web app: it finds the offset and the tail.
    assert _head(second, url, conversation).headers["Upload-Offset"] == str(half)
    assert _patch(second, url, half, data[half:], conversation).status_code == 204
    done = _complete(second, upload, conversation)
    assert done.status_code == 201, done.text

    def status() -> str:
        reply = first.get(f"/api/uploads/{upload}", headers=bearer(conversation))
        return str(reply.json()["status"])

    wait_for(lambda: status() == "checked", timeout=30)
    assert sum(len(one.calls) for one in inspectors) == 1
    service = UploadService(session_factory(store_database), settings)
    stored = service.get(conversation, upload)
    assert stored is not None and stored.files[0].size_bytes == len(data)
    assert not any(p.is_file() for p in settings.uploads_dir.rglob("*"))
