"""Console fixtures: a migrated SQLite database (copied from one template per session), the
real app with the console's services pointed at it, a fake clock, and signed-in clients."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.cases.models import AuditEntry
from bot.config import Settings
from bot.db import make_engine, migrate, session_factory
from bot.staff import passwords
from bot.staff.accounts import Accounts
from bot.staff.records import Principal, Role, StaffAccount
from bot.web.app import create_app
from bot.web.console.services import ConsoleServices, console_services
from tests.cases.conftest import FakeClock, clock  # noqa: F401 (fixture)

PASSWORD = "correct horse battery"
SECRET = "console-test-secret"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2id parameters: tests sign in hundreds of times (production keeps the
    library's RFC 9106 defaults)."""
    fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", fast)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", fast.hash("dummy password for timing"))


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("console-template") / "template.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture
def db_url(template_db: Path, tmp_path: Path) -> str:
    path = tmp_path / "console.db"
    shutil.copyfile(template_db, path)
    return f"sqlite:///{path}"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path, rasa_url="http://rasa.invalid", web_port=8000,
                    secret_key=SECRET, rasa_api_token="rasa-token")


@pytest.fixture
def services(
    settings: Settings, sessions: sessionmaker[Session], clock: FakeClock  # noqa: F811
) -> ConsoleServices:
    return ConsoleServices.build(settings, sessions, clock)


@pytest.fixture
def app(settings: Settings, services: ConsoleServices) -> FastAPI:
    app = create_app(settings)
    app.dependency_overrides[console_services] = lambda: services
    return app


@pytest.fixture
def accounts(sessions: sessionmaker[Session], clock: FakeClock) -> Accounts:  # noqa: F811
    accounts = Accounts(sessions, clock)
    accounts.create("ada", Role.ADMIN, PASSWORD, "Ada")
    accounts.create("alex", Role.AGENT, PASSWORD, "Alex")
    return accounts


@pytest.fixture
def anonymous(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as client:
        yield client


def login(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    page = client.get("/console/login")
    token = CSRF.search(page.text)
    assert token, "login form without CSRF token"
    client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": token.group(1)},
    )
    return client


def csrf_of(client: TestClient, path: str = "/console/conversations") -> str:
    match = CSRF.search(client.get(path).text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


@pytest.fixture
def signed_in(app: FastAPI, accounts: Accounts) -> Callable[[str], TestClient]:
    clients: list[TestClient] = []

    def make(username: str) -> TestClient:
        client = TestClient(app, follow_redirects=False)
        clients.append(client)
        login(client, username)
        assert client.cookies.get("sr_console"), "login failed"
        return client

    yield make  # type: ignore[misc]
    for client in clients:
        client.close()


@pytest.fixture
def admin(signed_in: Callable[[str], TestClient]) -> TestClient:
    return signed_in("ada")


@pytest.fixture
def agent(signed_in: Callable[[str], TestClient]) -> TestClient:
    return signed_in("alex")


def audit_actions(sessions: sessionmaker[Session]) -> list[tuple[str, str]]:
    with sessions() as session:
        rows = session.execute(
            select(AuditEntry.actor, AuditEntry.action).order_by(AuditEntry.id)
        ).all()
    return [(r.actor, r.action) for r in rows]


@pytest.fixture
def agent_principal() -> Principal:
    account = StaffAccount(7, "alex", "Alex", Role.AGENT, True, datetime(2026, 1, 1, tzinfo=UTC))
    return Principal(account, "f" * 64, "csrf", "10.0.0.9")
