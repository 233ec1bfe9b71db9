"""schemathesis against the web app's OpenAPI schema, signed out and signed in: no operation
answers 5xx (`not_a_server_error`), whatever schemathesis sends (valid and invalid data).

The app does not serve its schema (no public API docs), so the test builds it with
`app.openapi()` and loads that dict. Requests go to the app in-process through Starlette's
TestClient (its lifespan runs: the inspection worker is up); nothing listens on the network.
Rasa is a closed local port, so calls that reach it must end in a kind error (502/503).

`SCHEMATHESIS_EXAMPLES` raises the number of generated cases per operation (default 25).
"""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation.case import Case
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.cases import CaseService
from bot.config import Settings
from bot.security.tokens import issue_token
from bot.staff.accounts import Accounts
from bot.web.app import create_app
from bot.web.console.services import ConsoleServices, console_services
from tests.cases.conftest import JANE, KNEE_MRI, FakeClock
from tests.console.conftest import SECRET, csrf_of, login
from tests.console.rasa_events import sample_chats, store

BASE_URL = "http://testserver"
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25"))
# Ids that exist in each test's database, substituted into paths half the time (see the hook).
KNOWN: dict[str, str] = {
    "conversation_id": "conv-plain",  # one of sample_chats(): its pages and takeover calls run
    "username": "alex",  # the agent: disabling them or ending their sessions keeps `ada` in
}
# Rasa is down on purpose: the operations that call it say so (their own 502/503 answer), which
# is the only 5xx allowed, and only there.
RASA_DOWN = {
    ("GET", "/api/conversations/{conversation_id}/history"): 503,
    ("POST", "/console/conversations/{conversation_id}/pause"): 502,
    ("POST", "/console/conversations/{conversation_id}/reply"): 502,
    ("POST", "/console/conversations/{conversation_id}/resume"): 502,
}

# The schema does not depend on settings: any app instance gives the same routes.
RAW_SCHEMA = create_app(
    Settings(var_dir=Path(tempfile.gettempdir()), rasa_url="http://127.0.0.1:9", web_port=8000)
).openapi()
schema = schemathesis.openapi.from_dict(RAW_SCHEMA)

examples = hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
    """Half the time, ids that exist: the pages and actions behind a 404 get exercised too."""
    if not path_parameters:
        return st.just(path_parameters)
    known = {name: KNOWN.get(name, value) for name, value in path_parameters.items()}
    return st.sampled_from([path_parameters, known])


def test_schema_lists_the_api_and_the_console() -> None:
    operations = {(m.upper(), p) for p, ops in RAW_SCHEMA["paths"].items() for m in ops}
    for expected in [
        ("GET", "/healthz"),
        ("POST", "/api/sessions"),
        ("POST", "/api/sessions/refresh"),
        ("GET", "/api/conversations/{conversation_id}/history"),
        ("GET", "/api/uploads"),
        ("POST", "/api/uploads"),
        ("GET", "/api/uploads/{public_id}"),
        ("GET", "/console/login"),
        ("POST", "/console/login"),
        ("GET", "/console/conversations/{conversation_id}"),
        ("POST", "/console/conversations/{conversation_id}/reply"),
        ("POST", "/console/cases/{number}/status"),
        ("GET", "/console/audit"),
        ("POST", "/console/staff/{username}/disable"),
    ]:
        assert expected in operations, expected
    assert len(operations) >= 35
    loaded = [result.ok() for result in schema.get_all_operations()]
    assert len(loaded) == len(operations)  # schemathesis reads every operation


def test_the_schema_is_not_served(settings: Settings) -> None:
    client = TestClient(create_app(settings))
    for path in ("/openapi.json", "/docs", "/redoc"):
        assert client.get(path).status_code == 404, path


def test_file_ids_beyond_the_database_integer_are_a_bad_request(client: TestClient) -> None:
    """Found by this test: a 64-bit-overflowing upload id reached the driver (a 500)."""
    login(client, "ada")
    for path in ("/console/conversations/conv-plain/uploads/{}/files/0",
                 f"/console/cases/{KNOWN['number']}/uploads/{{}}/files/0"):
        for upload_id in (2**31, 2**63, 10**30):
            assert client.get(path.format(upload_id)).status_code == 400, (path, upload_id)
        assert client.get(path.format(2**31 - 1)).status_code == 404


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # released: connecting to it is refused


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path, rasa_url=f"http://127.0.0.1:{_closed_port()}",
                    web_port=8000, secret_key=SECRET, rasa_api_token="rasa-token")


@pytest.fixture
def app(
    settings: Settings, services: ConsoleServices, engine: Engine, db_url: str,
    sessions: sessionmaker[Session], clock: FakeClock, accounts: Accounts,
    monkeypatch: pytest.MonkeyPatch,
) -> FastAPI:
    monkeypatch.setenv("DATABASE_URL", db_url)  # the upload API's own service reads it
    store(engine, *sample_chats())
    KNOWN["number"] = CaseService(sessions, clock).open_case(
        "conv-case", "rest", JANE, KNEE_MRI
    ).number
    app = create_app(settings)
    app.dependency_overrides[console_services] = lambda: services
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as client:
        yield client


def _send(client: TestClient, case: Case, headers: dict[str, str]) -> None:
    """Send the case as schemathesis serializes it (a prepared `requests` request) through the
    app's TestClient, then check the answer is no server error."""
    kwargs = case.as_transport_kwargs(base_url=BASE_URL, headers=headers)
    for unused in ("timeout", "verify", "allow_redirects", "stream"):
        kwargs.pop(unused, None)
    prepared = requests.Session().prepare_request(requests.Request(**kwargs))
    response = client.request(
        str(prepared.method), str(prepared.url), content=prepared.body,
        headers=dict(prepared.headers),
    )
    operation = (case.operation.method.upper(), case.operation.path)
    if response.status_code == RASA_DOWN.get(operation):
        return
    case.validate_response(response, checks=[not_a_server_error])


@schema.parametrize()
@examples
def test_no_server_errors_signed_out(case: Case, client: TestClient) -> None:
    _send(client, case, {})


@schema.parametrize()
@examples
def test_no_server_errors_signed_in(case: Case, client: TestClient) -> None:
    """A signed-in admin (session cookie and the CSRF token, so POSTs reach their handlers) and
    the widget's bearer token for the conversation in the path (so history reaches Rasa)."""
    if not client.cookies.get("sr_console"):
        login(client, "ada")
        client.csrf = csrf_of(client)  # type: ignore[attr-defined]
        assert client.cookies.get("sr_console"), "sign-in failed"
    conversation = str((case.path_parameters or {}).get("conversation_id", "web-schemathesis"))
    token = issue_token(SECRET, conversation, "conversation", 600)
    _send(client, case, {"Authorization": f"Bearer {token}",
                         "X-CSRF-Token": client.csrf})  # type: ignore[attr-defined]
