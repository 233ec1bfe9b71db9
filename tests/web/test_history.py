"""Tracker events → the messages a person saw."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from bot.conversations.history import HistoryUnavailable, fetch_history, messages_from_events

MENU = [
    {"title": "Finding the right specialist", "payload": "/find_subspecialist"},
    {"title": "MRI", "payload": '/inform{"exam_type":"mri"}'},
]


def user(text: str, ts: float, **metadata: Any) -> dict[str, Any]:
    return {
        "event": "user",
        "text": text,
        "timestamp": ts,
        "metadata": metadata,
        "parse_data": {"intent": {"name": "x"}},
    }


def bot(text: str | None, ts: float, buttons: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"event": "bot", "text": text, "timestamp": ts, "data": {"buttons": buttons}}


def test_user_and_bot_messages_only_in_order() -> None:
    events = [
        {"event": "action", "name": "action_session_start", "timestamp": 0.5},
        {"event": "session_started", "timestamp": 0.6},
        user("hi", 1.0),
        bot("Hi, I'm SecondRead.", 2.0),
        bot("What would you like help with?", 2.1, MENU),
        {"event": "slot", "name": "exam_type", "value": "mri", "timestamp": 2.2},
        bot(None, 2.3),  # e.g. a custom payload without text
    ]
    assert messages_from_events(events) == [
        {"sender": "user", "text": "hi", "buttons": [], "timestamp": 1.0},
        {"sender": "bot", "text": "Hi, I'm SecondRead.", "buttons": [], "timestamp": 2.0},
        {
            "sender": "bot",
            "text": "What would you like help with?",
            "buttons": MENU,
            "timestamp": 2.1,
        },
    ]


def test_a_button_click_shows_its_title() -> None:
    events = [
        bot("What would you like help with?", 1.0, MENU),
        user("/find_subspecialist", 2.0),  # a client that sent no display text
        user('/inform{"exam_type":"mri"}', 3.0, display_text="MRI scan"),
        user("/unknown_payload", 4.0),
    ]
    texts = [m["text"] for m in messages_from_events(events)[1:]]
    assert texts == ["Finding the right specialist", "MRI scan", "/unknown_payload"]


def test_intents_triggered_through_rasas_api_are_not_shown() -> None:
    events = [
        user("/upload_files", 1.0, display_text="I've uploaded 3 files (1.2 MB)"),
        user("EXTERNAL: EXTERNAL_uploads_checked", 2.0, is_external=True),
        bot("Your MRI of the brain arrived complete.", 3.0),
    ]
    assert [(m["sender"], m["text"]) for m in messages_from_events(events)] == [
        ("user", "I've uploaded 3 files (1.2 MB)"),
        ("bot", "Your MRI of the brain arrived complete."),
    ]


def test_history_starts_after_the_last_restart() -> None:
    events = [
        user("hi", 1.0),
        bot("Hello", 2.0),
        {"event": "restart", "timestamp": 3.0},
        bot("OK, let's start over.", 4.0),
    ]
    assert [m["text"] for m in messages_from_events(events)] == ["OK, let's start over."]


async def test_fetch_history_asks_rasa_for_this_conversation_with_the_api_token() -> None:
    seen: list[httpx.Request] = []

    def rasa(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"events": [user("hi", 1.0)]})

    messages = await fetch_history(
        "http://rasa:5005", "api-token", "web-a/b?c", transport=httpx.MockTransport(rasa)
    )
    assert [m["text"] for m in messages] == ["hi"]
    assert seen[0].url.raw_path.startswith(b"/conversations/web-a%2Fb%3Fc/tracker?")
    assert seen[0].url.params["token"] == "api-token"


@pytest.mark.parametrize(
    "answer",
    [httpx.Response(401, json={"message": "nope"}), httpx.Response(200, content=b"not json")],
)
async def test_fetch_history_errors_do_not_leak_the_api_token(answer: httpx.Response) -> None:
    transport = httpx.MockTransport(lambda request: answer)
    with pytest.raises(HistoryUnavailable) as error:
        await fetch_history("http://rasa:5005", "api-token", "web-a", transport=transport)
    assert "api-token" not in str(error.value)
    assert json.dumps(str(error.value))  # a plain string
