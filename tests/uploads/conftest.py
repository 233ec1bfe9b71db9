"""Fixtures: settings with a temporary var dir, a migrated database (SQLite for the HTTP tests;
SQLite and PostgreSQL, via tests/cases, for the service), a fake inspector and a real server."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.cases.models import Upload
from bot.config import Settings, UploadLimits
from bot.db import make_engine, migrate, session_factory
from bot.imaging.sources import SourceFile
from bot.security.tokens import issue_token
from bot.uploads.service import UploadService
from bot.web.uploads_api import UploadsApi

# Both backends for the service tests: the fixtures of tests/cases.
from tests.cases.conftest import (  # noqa: F401
    backend,
    clock,
    database_url,
    engine,
    sessions,
)

# Both file stores for the storage tests: this host's directory and PostgreSQL.
from tests.uploads.file_stores import file_backend, store_database  # noqa: F401

SECRET = "uploads-test-secret-of-at-least-32-bytes"
MB = 1024 * 1024


def make_settings(var_dir: Path, **limits: int) -> Settings:
    settings = Settings.from_env(
        {
            "VAR_DIR": str(var_dir),
            "SECONDREAD_SECRET_KEY": SECRET,
            "SECONDREAD_STORAGE_KEY": base64.b64encode(os.urandom(32)).decode(),
        }
    )
    return replace(settings, upload_limits=UploadLimits(**limits)) if limits else settings


def token_for(conversation_id: str, scope: str = "conversation", ttl: int = 600) -> str:
    return issue_token(SECRET, conversation_id, scope, ttl)


def bearer(conversation_id: str, scope: str = "conversation") -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(conversation_id, scope)}"}


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("uploads-db") / "template.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_engine(sqlite_template: Path, tmp_path: Path) -> Iterator[Engine]:
    path = tmp_path / "secondread.db"
    shutil.copyfile(sqlite_template, path)
    sqlite = make_engine(f"sqlite:///{path}")
    yield sqlite
    sqlite.dispose()


@pytest.fixture
def sqlite_sessions(sqlite_engine: Engine) -> sessionmaker[Session]:
    return session_factory(sqlite_engine)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "var")


@dataclass
class FakeVerdict:
    ok: bool
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "message": self.message, "kind": "fake", **self.details}


@dataclass
class FakeInspector:
    """Reads every file through its decrypting stream, like the real inspector would."""

    calls: list[list[str]] = field(default_factory=list)
    fail: bool = False
    gate: threading.Event | None = None

    def __call__(self, files: Sequence[SourceFile]) -> FakeVerdict:
        if self.gate is not None:
            self.gate.wait(10)
        self.calls.append([file.path for file in files])
        if self.fail:
            raise RuntimeError("inspector crashed on 'Jane Doe knee.dcm'")
        digests = {}
        for file in files:
            with file.open() as stream:
                data = stream.read()
            assert len(data) == file.size
            digests[file.path] = hashlib.sha256(data).hexdigest()
        return FakeVerdict(True, f"I found {len(files)} files.", {"sha256": digests})


@pytest.fixture
def inspector() -> FakeInspector:
    return FakeInspector()


@pytest.fixture
def upload_service(sqlite_sessions: sessionmaker[Session], settings: Settings) -> UploadService:
    return UploadService(sqlite_sessions, settings)


def make_app(api: UploadsApi) -> FastAPI:
    app = FastAPI()
    app.include_router(api.router)
    return app


@pytest.fixture
def api(upload_service: UploadService, settings: Settings, inspector: FakeInspector) -> UploadsApi:
    return UploadsApi(settings, upload_service, inspect=inspector)


def upload_rows(factory: sessionmaker[Session]) -> list[tuple[str, str, int]]:
    with factory() as session:
        rows = session.execute(select(Upload.public_id, Upload.status, Upload.file_count)).all()
        return [tuple(row) for row in rows]  # type: ignore[misc]


def stored_entries(settings: Settings) -> list[Path]:
    root = settings.uploads_dir
    return sorted(root.rglob("*")) if root.exists() else []


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_server(app: FastAPI) -> Iterator[str]:
    """The app under a real uvicorn (httptools, as in production) on a free loopback port."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", http="httptools"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)
