"""The widget's session and history endpoints, with Rasa replaced by a fake history."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.config import Settings
from bot.conversations.history import HistoryUnavailable, Message
from bot.security.tokens import issue_token, verify_token
from bot.web import sessions_api
from bot.web.app import create_app

SECRET = "test-secret-key-for-the-widget-tests"


@pytest.fixture
def settings() -> Settings:
    return Settings.from_env(
        {
            "SECONDREAD_SECRET_KEY": SECRET,
            "RASA_URL": "http://rasa.internal:5005",
            "RASA_PUBLIC_URL": "https://chat.example.org/",
            "RASA_API_TOKEN": "rasa-api-token",
            "UPLOAD_MAX_REQUEST_BYTES": "12345",
        }
    )


@pytest.fixture
def fetched(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    """Replaces Rasa: records each history fetch and answers with one exchange."""
    calls: list[tuple[str, str, str]] = []

    async def fake(rasa_url: str, api_token: str, conversation_id: str) -> list[Message]:
        calls.append((rasa_url, api_token, conversation_id))
        return [
            Message(sender="user", text="hi", buttons=[], timestamp=1.0),
            Message(
                sender="bot",
                text="What would you like help with?",
                buttons=[{"title": "Insurance and cost", "payload": "/ask_insurance"}],
                timestamp=2.0,
            ),
        ]

    monkeypatch.setattr(sessions_api, "fetch_history", fake)
    return calls


@pytest.fixture
def client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings))


def start(client: TestClient) -> dict[str, Any]:
    response = client.post("/api/sessions")
    assert response.status_code == 201
    return dict(response.json())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_session_is_a_new_unguessable_conversation_with_a_conversation_token(
    client: TestClient,
) -> None:
    response = client.post("/api/sessions")
    assert response.status_code == 201
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    claims = verify_token(SECRET, body["token"], ("conversation",))
    assert claims.conversation_id == body["conversation_id"]
    assert body["conversation_id"].startswith("web-") and len(body["conversation_id"]) >= 36
    assert body["expires_at"] == claims.expires_at
    assert 23 * 3600 < claims.expires_at - time.time() <= 24 * 3600
    assert body["socket_url"] == "https://chat.example.org"
    assert body["socket_path"] == "/socket.io"
    assert body["upload_limits"]["max_request_bytes"] == 12345
    assert start(client)["conversation_id"] != body["conversation_id"]


def test_refresh_keeps_the_conversation_and_extends_the_token(client: TestClient) -> None:
    first = start(client)
    response = client.post("/api/sessions/refresh", headers=bearer(first["token"]))
    assert response.status_code == 200
    again = response.json()
    assert again["conversation_id"] == first["conversation_id"]
    assert again["token"] != first["token"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-jwt"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        bearer(issue_token(SECRET, "web-x", "conversation", -10)),  # expired
        bearer(issue_token(SECRET + "-other", "web-x", "conversation", 3600)),
        bearer(issue_token(SECRET, "web-x", "upload", 3600)),  # an upload link's token
    ],
    ids=["missing", "garbage", "basic", "expired", "foreign-key", "upload-scope"],
)
def test_refresh_and_history_refuse_a_bad_token(
    client: TestClient, headers: dict[str, str], fetched: list[tuple[str, str, str]]
) -> None:
    refreshed = client.post("/api/sessions/refresh", headers=headers)
    assert refreshed.status_code == 401
    assert refreshed.json()["message"].startswith("Your chat session has expired")
    history = client.get("/api/conversations/web-x/history", headers=headers)
    assert history.status_code == 401
    assert history.headers["www-authenticate"] == "Bearer"
    assert fetched == []


def test_history_of_another_conversation_is_forbidden(
    client: TestClient, fetched: list[tuple[str, str, str]]
) -> None:
    mine, theirs = start(client), start(client)
    response = client.get(
        f"/api/conversations/{theirs['conversation_id']}/history", headers=bearer(mine["token"])
    )
    assert response.status_code == 403
    assert response.json() == {"message": "That conversation belongs to someone else."}
    assert fetched == []


def test_history_of_my_conversation(
    client: TestClient, fetched: list[tuple[str, str, str]]
) -> None:
    me = start(client)
    response = client.get(
        f"/api/conversations/{me['conversation_id']}/history", headers=bearer(me["token"])
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {
        "conversation_id": me["conversation_id"],
        "messages": [
            {"sender": "user", "text": "hi", "buttons": [], "timestamp": 1.0},
            {
                "sender": "bot",
                "text": "What would you like help with?",
                "buttons": [{"title": "Insurance and cost", "payload": "/ask_insurance"}],
                "timestamp": 2.0,
            },
        ],
    }
    # Read from Rasa's internal URL with the HTTP API token, for exactly this conversation.
    assert fetched == [("http://rasa.internal:5005", "rasa-api-token", me["conversation_id"])]


def test_history_when_rasa_is_down(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    async def down(*_: str) -> list[Message]:
        raise HistoryUnavailable("ConnectError")

    monkeypatch.setattr(sessions_api, "fetch_history", down)
    me = start(client)
    response = client.get(
        f"/api/conversations/{me['conversation_id']}/history", headers=bearer(me["token"])
    )
    assert response.status_code == 503
    assert "can't be loaded right now" in response.json()["message"]


def test_other_sites_may_call_the_api_with_a_bearer_token(client: TestClient) -> None:
    preflight = client.options(
        "/api/sessions/refresh",
        headers={
            "Origin": "https://clinic.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] in ("*", "https://clinic.example.com")
    assert "access-control-allow-credentials" not in preflight.headers


def test_allowed_origins_can_be_restricted(settings: Settings) -> None:
    strict = Settings.from_env({"WIDGET_ORIGINS": "https://clinic.example.com"})
    client = TestClient(create_app(strict))
    other = client.post("/api/sessions", headers={"Origin": "https://evil.example.net"})
    assert "access-control-allow-origin" not in other.headers
    ok = client.post("/api/sessions", headers={"Origin": "https://clinic.example.com"})
    assert ok.headers["access-control-allow-origin"] == "https://clinic.example.com"
