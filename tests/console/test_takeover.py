"""Taking over a conversation: the Rasa API calls, and the console's pause → reply → resume."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any, TypeVar

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.notify.takeover import BACK_LINE, Takeover, TakeoverFailed, joined_line
from bot.staff.presence import Presence, PresenceState
from bot.web.console.services import ConsoleServices
from tests.cases.conftest import FakeClock
from tests.console.conftest import audit_actions, csrf_of
from tests.console.rasa_events import Chat, sample_chats, store

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run on a thread of its own: a browser test's sync Playwright may hold this thread's
    event loop for the rest of the session."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


class FakeRasa:
    """Records requests; answers like Rasa's append-events endpoint."""

    def __init__(self, status: int = 200) -> None:
        self.requests: list[httpx.Request] = []
        self.status = status

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, json={"sender_id": "x"})

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]


def takeover(rasa: FakeRasa, sent: list[tuple[str, str]] | None = None) -> Takeover:
    async def telegram(sender_id: str, text: str) -> None:
        (sent if sent is not None else []).append((sender_id, text))

    return Takeover("http://rasa:5005", "tok", telegram, transport=httpx.MockTransport(rasa))


def test_pause_reply_resume_requests() -> None:
    rasa = FakeRasa()
    client = takeover(rasa)
    run(client.pause("web 1/2", "Alex", "alex"))
    via = run(client.reply("web 1/2", "  I'll check your CD.  ", "Alex", "alex"))
    run(client.resume("web 1/2", "alex"))
    assert via == "rasa"
    paths = {r.url.raw_path.split(b"?")[0] for r in rasa.requests}
    assert paths == {b"/conversations/web%201%2F2/tracker/events"}
    pause, joined, reply, back, resume = rasa.bodies()
    assert (pause["event"], resume["event"]) == ("pause", "resume")
    # The patient is told when a person joins and when the assistant is back.
    assert (joined["event"], joined["text"]) == ("bot", joined_line("Alex"))
    assert joined["text"] == "Alex from the support team has joined the chat."
    assert (back["event"], back["text"]) == ("bot", BACK_LINE)
    assert reply["event"] == "bot"
    assert reply["text"] == "Alex from the support team: I'll check your CD."
    assert reply["metadata"] == {"staff": "alex"}
    params = dict(rasa.requests[2].url.params)
    assert params["token"] == "tok"
    assert (params["output_channel"], params["execute_side_effects"]) == ("latest", "true")
    assert "output_channel" not in dict(rasa.requests[0].url.params)


def test_telegram_replies_are_recorded_then_sent_by_the_bridge() -> None:
    rasa, sent = FakeRasa(), []
    via = run(takeover(rasa, sent).reply("telegram:4242", "Hello", "Alex", "alex"))
    assert via == "telegram"
    assert sent == [("telegram:4242", "Alex from the support team: Hello")]
    assert "output_channel" not in dict(rasa.requests[0].url.params)  # no double delivery


def test_failures_raise_naming_what_was_asked() -> None:
    down = takeover(FakeRasa(status=500))
    with pytest.raises(TakeoverFailed) as failed:
        run(down.pause("c", "Alex", "alex"))
    assert failed.value.step == "pause"
    with pytest.raises(TakeoverFailed) as failed:
        run(down.reply("c", "Hello", "Alex", "alex"))
    assert failed.value.step == "reply"
    with pytest.raises(TakeoverFailed) as failed:
        run(down.resume("c", "alex"))
    assert failed.value.step == "resume"
    with pytest.raises(TakeoverFailed):
        run(Takeover("http://rasa", "").pause("c", "Alex", "alex"))  # no token configured


class RecordingTakeover:
    """Stands in for Rasa: appends the events to the `events` table as Rasa would."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.replies: list[str] = []

    async def pause(self, conversation_id: str, name: str, username: str) -> None:
        store(self.engine, Chat(conversation_id, start=1_800_000_000).event("pause"))

    async def resume(self, conversation_id: str, username: str) -> None:
        store(self.engine, Chat(conversation_id, start=1_800_000_100).event("resume"))

    async def reply(self, conversation_id: str, text: str, name: str, username: str) -> str:
        message = f"{name} from the support team: {text}"
        self.replies.append(message)
        store(self.engine, Chat(conversation_id, start=1_800_000_050)
              .bot(message, metadata={"staff": username}))
        return "rasa"


def test_console_pause_reply_resume(
    agent: TestClient, engine: Engine, services: ConsoleServices,
    sessions: sessionmaker[Session],
) -> None:
    store(engine, *sample_chats())
    fake = RecordingTakeover(engine)
    services.takeover = fake  # type: ignore[assignment]
    url = "/console/conversations/conv-confused"
    token = csrf_of(agent, url)
    early = agent.post(f"{url}/reply", data={"csrf_token": token, "text": "Hi"})
    assert early.status_code == 409 and fake.replies == []
    assert "Pause the bot" in agent.get(url).text

    assert 'data-live-url' not in agent.get(url).text  # nothing streams while the bot answers
    assert agent.post(f"{url}/pause", data={"csrf_token": token}).status_code == 303
    page = agent.get(url).text
    assert 'id="paused-state"' in page and "Send reply" in page
    assert 'data-live-url="/console/conversations/conv-confused/live" data-items="5"' in page
    # The reply box sits under the newest entry, not at the top of the page.
    assert page.index('id="reply"') > page.rindex('<li class=')
    sent = agent.post(f"{url}/reply", data={"csrf_token": token, "text": "Let me help you."})
    assert sent.status_code == 303
    assert fake.replies == ["Alex from the support team: Let me help you."]
    page = agent.get(url).text
    assert "Staff (alex)" in page and "Alex from the support team: Let me help you." in page
    blank = agent.post(f"{url}/reply", data={"csrf_token": token, "text": "  "})
    assert blank.status_code == 400

    assert agent.post(f"{url}/resume", data={"csrf_token": token}).status_code == 303
    assert 'id="paused-state"' not in agent.get(url).text
    actions = [a for a in audit_actions(sessions) if a[1] in (
        "conversation.paused", "conversation.replied", "conversation.resumed")]
    assert actions == [("alex", "conversation.paused"), ("alex", "conversation.replied"),
                       ("alex", "conversation.resumed")]
    unknown = agent.post("/console/conversations/nobody/pause", data={"csrf_token": token})
    assert unknown.status_code == 404


def live_events(body: str) -> list[tuple[str, dict[str, Any], str | None]]:
    """(event, data, id) of a server-sent event stream's body."""
    found = []
    for block in body.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in fields:
            found.append((fields["event"], json.loads(fields["data"]), fields.get("id")))
    return found


@pytest.fixture
def short_streams(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.web.console.conversations.LIVE_SECONDS", 0.3)
    monkeypatch.setattr("bot.web.console.conversations.LIVE_TICK_SECONDS", 0.1)


def test_the_live_stream_sends_new_entries_presence_and_pauses(
    agent: TestClient, engine: Engine, sessions: sessionmaker[Session], clock: FakeClock,
    short_streams: None,
) -> None:
    store(engine, *sample_chats())
    url = "/console/conversations/conv-plain/live"
    quiet = agent.get(url, params={"after": "5"})
    assert quiet.headers["content-type"].startswith("text/event-stream")
    assert live_events(quiet.text) == [("presence", {"text": ""}, None)]

    # Two entries the page has not shown yet, rendered as the page renders them.
    (name, data, event_id), *_later = live_events(agent.get(url, params={"after": "3"}).text)
    assert (name, event_id) == ("items", "5")
    assert data["html"].count('<li class="') == 2 and "Here is what is likely." in data["html"]
    # A reconnect says where it was (Last-Event-ID) and gets only what is newer.
    again = agent.get(url, params={"after": "0"}, headers={"Last-Event-ID": "5"}).text
    assert [e[0] for e in live_events(again)] == ["presence"]

    Presence(sessions, clock).report("conv-plain", PresenceState.TYPING)
    events = live_events(agent.get(url).text)
    assert ("presence", {"text": "The patient is typing…"}, None) in events
    clock.advance(timedelta(seconds=10))  # typing is fresh for a few seconds only
    Presence(sessions, clock).report("conv-plain", PresenceState.LEFT)
    (presence,) = [e for e in live_events(agent.get(url).text) if e[0] == "presence"]
    assert presence[1]["text"].startswith("The patient closed or left the chat page at")
    assert agent.get("/console/conversations/nobody/live").status_code == 404


def test_live_streams_do_not_keep_a_session_alive(
    agent: TestClient, engine: Engine, clock: FakeClock, short_streams: None
) -> None:
    store(engine, *sample_chats())
    url = "/console/conversations/conv-plain/live"
    for _ in range(2):
        clock.advance(timedelta(minutes=6))
        assert agent.get(url).status_code == 200
    clock.advance(timedelta(minutes=6))
    response = agent.get(url)  # 18 minutes without a person's request
    assert response.status_code == 401  # a script's request: no sign-in page
    assert agent.get("/console/conversations").status_code == 303
    assert agent.get("/console/conversations/nobody/live").status_code == 401


def test_rasa_down_is_reported(
    agent: TestClient, engine: Engine, services: ConsoleServices
) -> None:
    store(engine, *sample_chats())
    services.takeover = takeover(FakeRasa(status=503))
    url = "/console/conversations/conv-plain"
    response = agent.post(f"{url}/pause", data={"csrf_token": csrf_of(agent, url)})
    assert response.status_code == 502 and "could not pause" in response.text
    response = agent.post(f"{url}/resume", data={"csrf_token": csrf_of(agent, url)})
    assert response.status_code == 502 and "could not resume" in response.text


def test_default_wiring_reaches_the_telegram_notifier(
    settings: Settings, sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    """Built from settings, replies to Telegram chats go to bot.notify.telegram (which, with no
    bot token configured, drops them with a log line that names the chat id only)."""
    takeover = ConsoleServices.build(settings, sessions).takeover
    rasa = FakeRasa()
    takeover._transport = httpx.MockTransport(rasa)
    caplog.set_level(logging.INFO, logger="bot.notify.telegram")
    assert run(takeover.reply("telegram:4242", "Hello Jane", "Alex", "alex")) == "telegram"
    assert rasa.bodies()[0]["text"] == "Alex from the support team: Hello Jane"
    assert "4242" in caplog.text and "Jane" not in caplog.text
