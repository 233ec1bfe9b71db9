"""Reopening the chat on the patient's next visit after a records request: the widget asks to be
remembered, gets a resume token, and later swaps it for a conversation token for the same chat,
only while the request is on record (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from bot.cases.erasure import erase_conversation
from bot.config import Settings
from bot.letters.requests import RecordsRequests
from bot.security.tokens import issue_token, verify_token
from bot.web.sessions_api import NOT_REMEMBERED, NOTHING_TO_REMEMBER, sessions_router

SECRET = "test-secret-key-for-the-resume-tests"


@pytest.fixture
def requests(sessions: sessionmaker[Session]) -> RecordsRequests:
    return RecordsRequests(sessions)


@pytest.fixture
def client(requests: RecordsRequests) -> TestClient:
    settings = Settings.from_env(
        {"SECONDREAD_SECRET_KEY": SECRET, "RASA_PUBLIC_URL": "https://chat.example.org/"}
    )
    app = FastAPI()  # the sessions API alone, on the test database
    app.include_router(sessions_router(settings, lambda: requests))
    return TestClient(app)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def new_chat(client: TestClient) -> dict[str, str]:
    response = client.post("/api/sessions")
    assert response.status_code == 201
    return dict(response.json())


def remember(client: TestClient, token: str) -> dict[str, object]:
    response = client.post("/api/sessions/remember", headers=bearer(token))
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    return dict(response.json())


def test_a_remembered_chat_reopens_on_the_next_visit(
    client: TestClient, requests: RecordsRequests
) -> None:
    chat = new_chat(client)
    requests.record(chat["conversation_id"], "socketio", "Harbor Imaging", "CT of the chest")
    kept = remember(client, chat["token"])
    claims = verify_token(SECRET, str(kept["resume_token"]), ("resume",))
    assert claims.conversation_id == chat["conversation_id"]
    # Until the follow-ups are over: 45 days from the request, not a day like the chat token.
    days = (int(str(kept["expires_at"])) - datetime.now(UTC).timestamp()) / 86400
    assert 44.9 < days <= 45

    reopened = client.post("/api/sessions/resume", headers=bearer(str(kept["resume_token"])))
    assert reopened.status_code == 200
    body = reopened.json()
    assert body["conversation_id"] == chat["conversation_id"]
    fresh = verify_token(SECRET, body["token"], ("conversation",))
    assert fresh.conversation_id == chat["conversation_id"]


def test_only_a_chat_with_a_records_request_is_remembered(client: TestClient) -> None:
    chat = new_chat(client)
    answer = client.post("/api/sessions/remember", headers=bearer(chat["token"]))
    assert answer.status_code == 409
    assert answer.json()["message"] == NOTHING_TO_REMEMBER


def test_a_request_older_than_the_follow_ups_is_not_remembered(
    client: TestClient, sessions: sessionmaker[Session]
) -> None:
    chat = new_chat(client)
    long_ago = datetime.now(UTC) - timedelta(days=46)
    RecordsRequests(sessions, lambda: long_ago).record(
        chat["conversation_id"], "socketio", "Harbor Imaging", "CT"
    )
    answer = client.post("/api/sessions/remember", headers=bearer(chat["token"]))
    assert answer.status_code == 409


def test_tokens_only_open_what_their_scope_allows(
    client: TestClient, requests: RecordsRequests
) -> None:
    chat = new_chat(client)
    requests.record(chat["conversation_id"], "socketio", "Harbor Imaging", "CT")
    resume_token = str(remember(client, chat["token"])["resume_token"])
    # A conversation token is not a resume token, and the other way round.
    assert client.post("/api/sessions/resume", headers=bearer(chat["token"])).status_code == 401
    for path in ("/api/sessions/refresh", "/api/sessions/remember"):
        assert client.post(path, headers=bearer(resume_token)).status_code == 401
    history = f"/api/conversations/{chat['conversation_id']}/history"
    assert client.get(history, headers=bearer(resume_token)).status_code == 401
    # Nor does it open anything once expired.
    stale = issue_token(
        SECRET, chat["conversation_id"], "resume", 60, now=datetime.now(UTC).timestamp() - 120
    )
    answer = client.post("/api/sessions/resume", headers=bearer(stale))
    assert answer.status_code == 401 and answer.json()["message"] == NOT_REMEMBERED


def test_erasing_the_conversation_ends_the_remembered_chat(
    client: TestClient, requests: RecordsRequests, sessions: sessionmaker[Session]
) -> None:
    chat = new_chat(client)
    requests.record(chat["conversation_id"], "socketio", "Harbor Imaging", "CT")
    resume_token = str(remember(client, chat["token"])["resume_token"])
    with sessions.begin() as session:
        report = erase_conversation(session, chat["conversation_id"], lambda _name: None)
    assert report.records_requests == 1
    answer = client.post("/api/sessions/resume", headers=bearer(resume_token))
    assert answer.status_code == 401
    assert answer.json()["message"] == NOT_REMEMBERED
