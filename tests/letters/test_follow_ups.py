"""The web app's follow-up rounds: due follow-ups go through Rasa's trigger_intent once, reach
Telegram chats, wait for Rasa when it is down, and survive a restart."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from bot.letters.requests import RecordsRequests
from bot.notify.followups import send_due_follow_ups
from bot.notify.rasa import RECORDS_FOLLOW_UP, RasaNotifier
from tests.cases.conftest import FakeClock

DAY = timedelta(days=1)


class FakeRasa:
    """Rasa's trigger_intent: answers with one bot message, or 503 while `down`."""

    def __init__(self) -> None:
        self.down = False
        self.bodies: list[tuple[str, dict[str, Any]]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            return httpx.Response(503)
        conversation = request.url.path.split("/")[2]
        body = json.loads(request.content)
        self.bodies.append((conversation, body))
        step = body["entities"]["follow_up_step"]
        return httpx.Response(200, json={"messages": [{"recipient_id": conversation,
                                                       "text": f"follow-up {step}"}]})

    def notifier(self) -> RasaNotifier:
        client = httpx.AsyncClient(transport=httpx.MockTransport(self.handle))
        return RasaNotifier("http://rasa.test", "token", client=client, backoff_seconds=0)


class Chats:
    def __init__(self) -> None:
        self.delivered: list[tuple[str, list[str]]] = []

    async def deliver(self, sender_id: str, messages: Sequence[Mapping[str, Any]]) -> None:
        self.delivered.append((sender_id, [str(m.get("text")) for m in messages]))


async def test_each_follow_up_is_triggered_once_and_telegram_gets_it(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    requests = RecordsRequests(sessions, clock)
    requests.record("web-abc", "socketio", "Harbor Imaging", "")
    requests.record("telegram:42", "telegram", "Harbor Imaging", "")
    rasa, chats = FakeRasa(), Chats()

    assert await send_due_follow_ups(requests, rasa.notifier(), chats.deliver) == 0
    clock.advance(10 * DAY)
    assert await send_due_follow_ups(requests, rasa.notifier(), chats.deliver) == 2
    assert await send_due_follow_ups(requests, rasa.notifier(), chats.deliver) == 0
    assert sorted(rasa.bodies) == [
        ("telegram:42", {"name": RECORDS_FOLLOW_UP, "entities": {"follow_up_step": "day10"}}),
        ("web-abc", {"name": RECORDS_FOLLOW_UP, "entities": {"follow_up_step": "day10"}}),
    ]
    # socket.io gets it from Rasa itself; only the Telegram chat is delivered here.
    assert chats.delivered == [("telegram:42", ["follow-up day10"])]

    clock.advance(20 * DAY)
    assert await send_due_follow_ups(requests, rasa.notifier(), chats.deliver) == 2
    assert chats.delivered[-1] == ("telegram:42", ["follow-up day30"])


async def test_rasa_down_keeps_the_follow_up_due_and_a_restart_sends_it(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    RecordsRequests(sessions, clock).record("web-def", "socketio", "X", "")
    clock.advance(12 * DAY)
    rasa, chats = FakeRasa(), Chats()
    rasa.down = True
    assert await send_due_follow_ups(RecordsRequests(sessions, clock), rasa.notifier(),
                                     chats.deliver) == 0
    rasa.down = False
    # A new process (a new service on the same database) picks it up.
    assert await send_due_follow_ups(RecordsRequests(sessions, clock), rasa.notifier(),
                                     chats.deliver) == 1
    assert [conversation for conversation, _ in rasa.bodies] == ["web-def"]


async def test_offline_without_a_rasa_token(
    sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    requests = RecordsRequests(sessions, clock)
    requests.record("web-ghi", "socketio", "X", "")
    clock.advance(10 * DAY)
    assert await send_due_follow_ups(requests, RasaNotifier("http://rasa.test", None), None) == 0
    assert len(requests.due()) == 1  # still due when Rasa is configured
