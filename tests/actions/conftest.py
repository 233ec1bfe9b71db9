"""Build real rasa_sdk Trackers from a JSON fixture, and load the real domain."""

from __future__ import annotations

import copy
import json
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


@pytest.fixture
def broken_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A database that cannot be opened: every storage call fails."""
    from bot.cases.runtime import case_service

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}")
    case_service.cache_clear()
    yield
    case_service.cache_clear()
