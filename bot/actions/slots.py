"""Reading slot values and the patient's messages from a tracker the same way in every action."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from bot.guidance.situation import Said, patient_said, read_message


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


# Events after which earlier messages no longer count: a new session, "start over", "delete my
# data" (Rasa's `session_started`, `restart` and `reset_slots`).
_FRESH_START = frozenset({"session_started", "restart", "reset_slots"})
Message = tuple[str | None, dict[str, list[str]]]


def entity_values(parse_data: Any) -> dict[str, list[str]]:
    """A message's entity values by entity name, in message order."""
    values: dict[str, list[str]] = {}
    entities = parse_data.get("entities") if isinstance(parse_data, dict) else None
    for entity in entities or []:
        if isinstance(entity, dict) and entity.get("entity") and entity.get("value") is not None:
            values.setdefault(str(entity["entity"]), []).append(str(entity["value"]))
    return values


def session_messages(tracker: Tracker) -> list[Message]:
    """The patient's messages since the conversation last started afresh, oldest first."""
    messages: list[Message] = []
    for event in tracker.events:
        kind = event.get("event")
        if kind in _FRESH_START:
            messages = []
        elif kind == "user":
            messages.append((event.get("text"), entity_values(event.get("parse_data"))))
    return messages


def said_so_far(tracker: Tracker) -> Said:
    """What the patient has stated in this conversation; later statements win."""
    return patient_said(session_messages(tracker))


def said_now(tracker: Tracker) -> Said:
    """What the latest message states."""
    return read_message(latest_text(tracker), entity_values(tracker.latest_message))
