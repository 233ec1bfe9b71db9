"""Reading slot values from a tracker the same way in every action."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker


def first_text(value: Any) -> str | None:
    """A slot filled from entities can hold a list (two entities in one message): keep the first."""
    if isinstance(value, list):
        value = next((item for item in value if item), None)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def slot_text(tracker: Tracker, name: str) -> str | None:
    return first_text(tracker.get_slot(name))


def latest_text(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("text") or "")
