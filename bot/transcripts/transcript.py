"""One conversation as staff see it: every message in order with the NLU's reading, the
moments the bot was paused and resumed, staff replies, and the slots at the end."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.transcripts.events import (
    EVENTS,
    FALLBACK_ACTION,
    FALLBACK_INTENT,
    LOW_CONFIDENCE,
    STAFF_METADATA_KEY,
    has_events_table,
)

# Events worth a line of their own in the transcript, with how to say them.
MARKERS = {
    "pause": "The bot was paused: a person is answering",
    "resume": "The bot was resumed",
    "restart": "The patient started over",
    "session_started": "New session",
}


# Rasa's own bookkeeping, not something the patient told us.
INTERNAL_SLOTS = frozenset({"session_started_metadata", "requested_slot"})


@dataclass(frozen=True)
class Item:
    kind: str  # "user", "bot", "staff" or "marker"
    text: str
    at: datetime
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (title, payload)
    intent: str | None = None
    confidence: float | None = None
    author: str | None = None  # the staff member, for "staff"
    payload: str | None = None  # what a clicked button sent, when its title is the text

    @property
    def low_confidence(self) -> bool:
        return self.confidence is not None and self.confidence < LOW_CONFIDENCE

    @property
    def fallback(self) -> bool:
        return self.intent == FALLBACK_INTENT


@dataclass(frozen=True)
class Transcript:
    conversation_id: str
    channel: str
    items: list[Item]
    slots: dict[str, Any]
    paused: bool
    fallback_actions: int


def load_transcript(session: Session, conversation_id: str) -> Transcript | None:
    if not has_events_table(session):
        return None
    rows = session.execute(
        select(EVENTS.c.type_name, EVENTS.c.action_name, EVENTS.c.data)
        .where(EVENTS.c.sender_id == conversation_id)
        .order_by(EVENTS.c.id)
    ).all()
    if not rows:
        return None
    items: list[Item] = []
    slots: dict[str, Any] = {}
    channel, paused, fallbacks = "", False, 0
    for type_name, action_name, raw in rows:
        event = _parsed(raw)
        at = datetime.fromtimestamp(float(event.get("timestamp") or 0), UTC)
        if type_name == "user":
            channel = str(event.get("input_channel") or channel)
            intent = (event.get("parse_data") or {}).get("intent") or {}
            text = str(event.get("text") or "")
            title = _display_text(event)
            items.append(
                Item("user", title or text, at, intent=intent.get("name"),
                     confidence=_float(intent.get("confidence")),
                     payload=text if title and title != text else None)
            )
        elif type_name == "bot":
            items.append(_bot_item(event, at))
        elif type_name == "slot":
            slots[str(event.get("name"))] = event.get("value")
        elif type_name in ("restart", "reset_slots", "all_slots_reset"):
            slots.clear()
        elif type_name == "action" and action_name == FALLBACK_ACTION:
            fallbacks += 1
        if type_name in ("pause", "resume"):
            paused = type_name == "pause"
        if type_name in MARKERS:
            items.append(Item("marker", MARKERS[type_name], at))
    shown = {
        name: value
        for name, value in sorted(slots.items())
        if value not in (None, "") and name not in INTERNAL_SLOTS
    }
    return Transcript(conversation_id, channel, items, shown, paused, fallbacks)


def _bot_item(event: dict[str, Any], at: datetime) -> Item:
    data = event.get("data") or {}
    buttons = [
        (str(b.get("title", "")), str(b.get("payload", "")))
        for b in data.get("buttons") or []
        if isinstance(b, dict)
    ]
    metadata = event.get("metadata") or {}
    author = metadata.get(STAFF_METADATA_KEY) if isinstance(metadata, dict) else None
    kind = "staff" if author else "bot"
    return Item(kind, str(event.get("text") or ""), at, buttons,
                author=str(author) if author else None)


def _display_text(event: dict[str, Any]) -> str | None:
    """The button title the widget showed for a click (its `display_text` metadata)."""
    metadata = event.get("metadata")
    shown = metadata.get("display_text") if isinstance(metadata, dict) else None
    return shown.strip() if isinstance(shown, str) and shown.strip() else None


def _parsed(raw: str | None) -> dict[str, Any]:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None
