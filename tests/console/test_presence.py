"""The patient's presence while a person answers: the widget's `POST /api/presence`, what the
agent reads, and its erasure with the conversation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from bot.cases.erasure import erase_conversation
from bot.config import Settings
from bot.security.tokens import issue_token
from bot.staff.presence import Presence, PresenceState
from bot.web.presence_api import presence_router
from tests.cases.conftest import FakeClock

SECRET = "test-secret-key-for-the-presence-tests"


@pytest.fixture
def presence(sessions: sessionmaker[Session], clock: FakeClock) -> Presence:
    return Presence(sessions, clock)


@pytest.fixture
def client(presence: Presence) -> TestClient:
    app = FastAPI()
    app.include_router(presence_router(Settings.from_env({"SECONDREAD_SECRET_KEY": SECRET}),
                                       lambda: presence))
    return TestClient(app)


def bearer(conversation_id: str, scope: str = "conversation") -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(SECRET, conversation_id, scope, 60)}"}


def test_the_widget_reports_typing_and_leaving(client: TestClient, presence: Presence) -> None:
    assert presence.of("web-a") is None
    sent = client.post("/api/presence", json={"state": "typing"}, headers=bearer("web-a"))
    assert sent.status_code == 204 and sent.headers["cache-control"] == "no-store"
    seen = presence.of("web-a")
    assert seen is not None and seen.words == "The patient is typing…"
    client.post("/api/presence", json={"state": "left"}, headers=bearer("web-a"))
    seen = presence.of("web-a")
    assert seen is not None and seen.state is PresenceState.LEFT
    assert seen.words == "The patient closed or left the chat page at 12:00 UTC."


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nonsense"}])
def test_without_a_conversation_token_nothing_is_recorded(
    client: TestClient, presence: Presence, headers: dict[str, str]
) -> None:
    refused = client.post("/api/presence", json={"state": "typing"}, headers=headers)
    assert refused.status_code == 401
    upload_token = bearer("web-a", scope="upload")  # a token for something else
    assert client.post("/api/presence", json={"state": "left"},
                       headers=upload_token).status_code == 401
    assert presence.of("web-a") is None


@pytest.mark.parametrize("body", [{"state": "reading"}, {"state": None}, [], "typing"])
def test_an_unknown_state_is_refused(client: TestClient, body: object) -> None:
    response = client.post("/api/presence", json=body, headers=bearer("web-a"))
    assert response.status_code == 400


def test_typing_goes_stale_by_itself(presence: Presence, clock: FakeClock) -> None:
    presence.report("web-b", PresenceState.TYPING)
    clock.advance(timedelta(seconds=7))  # stopped typing without sending
    seen = presence.of("web-b")
    assert seen is not None and seen.state is PresenceState.HERE


def test_erasing_the_conversation_erases_its_presence(
    presence: Presence, sessions: sessionmaker[Session]
) -> None:
    presence.report("web-c", PresenceState.HERE)
    with sessions.begin() as session:
        erase_conversation(session, "web-c", lambda name: None)
    assert presence.of("web-c") is None
