"""Build real rasa_sdk Trackers from a JSON fixture, and load the real domain."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "domain.yml").read_text())


@pytest.fixture(autouse=True)
def _fresh_records_requests() -> Iterator[None]:
    """The actions' RecordsRequests and UploadService follow DATABASE_URL of the test, not of
    an earlier one."""
    from bot.letters.requests import records_requests
    from bot.uploads.runtime import upload_service

    records_requests.cache_clear()
    upload_service.cache_clear()
    yield
    records_requests.cache_clear()
    upload_service.cache_clear()


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


def user_event(
    text: str, intent: str = "inform", entities: list[Any] | None = None
) -> dict[str, Any]:
    return {
        "event": "user",
        "text": text,
        "timestamp": 1764300100.0,
        "parse_data": {
            "text": text,
            "intent": {"name": intent, "confidence": 0.9},
            "entities": entities or [],
        },
    }


def make_tracker(
    text: str = "",
    intent: str = "inform",
    slots: dict[str, Any] | None = None,
    set_this_turn: dict[str, Any] | None = None,
    active_loop: str | None = None,
    history: list[dict[str, Any]] | None = None,
    channel: str | None = None,
) -> Tracker:
    """A tracker whose latest user message is `text` (from `channel`, as Rasa records it);
    `set_this_turn` are slots set since then (what a form validates); `history` are earlier
    events."""
    state = copy.deepcopy(json.loads((HERE / "fixtures" / "tracker_base.json").read_text()))
    state["slots"].update(slots or {})
    state["slots"].update(set_this_turn or {})
    state["events"].extend(history or [])
    state["events"].append({**user_event(text, intent), "input_channel": channel})
    state["events"].extend(
        {"event": "slot", "name": name, "value": value}
        for name, value in (set_this_turn or {}).items()
    )
    state["latest_message"] = state["events"][-1 - len(set_this_turn or {})]["parse_data"]
    if active_loop:
        state["active_loop"] = {"name": active_loop}
    return Tracker.from_dict(state)


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


# What CollectingDispatcher.utter_message puts in every message; other keys are the keyword
# arguments that fill a response's template variables.
DISPATCHER_KEYS = frozenset(
    {"text", "image", "buttons", "elements", "custom", "template", "response", "attachment"}
)


def fill(template: str, values: dict[str, Any]) -> str:
    """Rasa 3.6's interpolation (rasa/core/nlg/interpolator.py), except that a missing value
    fails the test instead of leaving "{name}" in the message."""
    text = re.sub(r"{([^\n{}]+?)}", r"{0[\1]}", template).format(values)
    return template.format({}) if "0[" in text else text  # "{{...}}": a literal brace pair


def rendered(
    message: dict[str, Any], domain: dict[str, Any], tracker: Tracker | None = None
) -> dict[str, Any]:
    """A dispatcher message as Rasa 3.6 sends it: a response's (first) text filled from the
    tracker's slots and the action's keyword arguments, its buttons followed by the action's."""
    name = message.get("response")
    if not name:
        return message
    variant = domain["responses"][name][0]
    slots = {k: v for k, v in (tracker.slots if tracker else {}).items() if v is not None}
    values = {**slots, **{k: v for k, v in message.items() if k not in DISPATCHER_KEYS}}
    buttons = [
        {**button, "payload": fill(button["payload"], values)}
        for button in variant.get("buttons") or []
    ]
    return {
        **message,
        "text": fill(variant["text"], values),
        "buttons": buttons + list(message.get("buttons") or []),
    }


def said(
    dispatcher: CollectingDispatcher, domain: dict[str, Any], tracker: Tracker | None = None
) -> list[str]:
    """The texts of the dispatcher's messages, as the patient reads them."""
    return [rendered(m, domain, tracker).get("text") or "" for m in dispatcher.messages]


def responses(dispatcher: CollectingDispatcher) -> list[str | None]:
    """The domain response each message names (None for a text the action wrote)."""
    return [m.get("response") for m in dispatcher.messages]


@pytest.fixture
def case_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated SQLite database that the actions' CaseService uses for this test."""
    from bot.cases.runtime import case_service
    from bot.db import migrate

    url = f"sqlite:///{tmp_path / 'cases.db'}"
    migrate(url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    case_service.cache_clear()
    yield url
    case_service.cache_clear()


# The key upload links are signed with in the tests that check them.
UPLOAD_LINK_SECRET = "test-secret-for-upload-links-0123456789"


@pytest.fixture
def uploads_db(case_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """case_db, with upload links signed by UPLOAD_LINK_SECRET and a short wait for checks."""
    from bot.actions import uploads as upload_actions
    from bot.uploads.runtime import upload_service

    monkeypatch.setenv("SECONDREAD_SECRET_KEY", UPLOAD_LINK_SECRET)
    monkeypatch.setenv("PUBLIC_URL", "http://clinic.test")
    monkeypatch.setattr(upload_actions, "WAIT_SECONDS", 0.3)
    upload_service.cache_clear()
    yield case_db
    upload_service.cache_clear()


@pytest.fixture
def broken_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A database that cannot be opened: every storage call fails."""
    from bot.cases.runtime import case_service

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}")
    case_service.cache_clear()
    yield
    case_service.cache_clear()
