"""Writing conversations into an `events` table the way Rasa 3.6's SQL tracker store does."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, insert

from bot.transcripts.events import EVENTS

BASE_TIME = 1_772_366_400.0  # 2026-03-01 12:00 UTC


@dataclass
class Chat:
    sender_id: str
    channel: str = "rest"
    start: float = BASE_TIME
    rows: list[dict[str, Any]] = field(default_factory=list)

    def _add(self, type_name: str, data: dict[str, Any], **columns: Any) -> Chat:
        timestamp = self.start + len(self.rows)
        body = {"event": type_name, "timestamp": timestamp, **data}
        self.rows.append({"sender_id": self.sender_id, "type_name": type_name,
                          "timestamp": timestamp, "intent_name": None, "action_name": None,
                          "data": json.dumps(body), **columns})
        return self

    def user(self, text: str, intent: str, confidence: float = 0.97) -> Chat:
        parse = {"intent": {"name": intent, "confidence": confidence}, "entities": [],
                 "text": text}
        return self._add("user", {"text": text, "parse_data": parse,
                                  "input_channel": self.channel}, intent_name=intent)

    def action(self, name: str) -> Chat:
        return self._add("action", {"name": name}, action_name=name)

    def bot(self, text: str, buttons: list[tuple[str, str]] | None = None,
            metadata: dict[str, Any] | None = None) -> Chat:
        data = {"buttons": [{"title": t, "payload": p} for t, p in buttons or []]}
        return self._add("bot", {"text": text, "data": data, "metadata": metadata or {}})

    def slot(self, name: str, value: Any) -> Chat:
        return self._add("slot", {"name": name, "value": value})

    def event(self, type_name: str) -> Chat:
        return self._add(type_name, {})


def store(engine: Engine, *chats: Chat) -> None:
    EVENTS.create(engine, checkfirst=True)
    with engine.begin() as connection:
        for chat in chats:
            if chat.rows:
                connection.execute(insert(EVENTS), chat.rows)


def sample_chats() -> list[Chat]:
    """Four conversations with different flags, oldest first."""
    plain = (
        Chat("conv-plain", "socketio", BASE_TIME)
        .action("action_session_start").event("session_started").action("action_listen")
        .user("hi", "greet").action("utter_greet")
        .bot("What would you like help with?", [("Insurance and cost", "/ask_insurance")])
        .user("/ask_insurance", "ask_insurance", 1.0)
        .action("action_insurance_answer").bot("Here is what is likely.")
    )
    confused = (
        Chat("conv-confused", "rest", BASE_TIME + 86_400)
        .user("blorp my scan zzz", "nlu_fallback", 0.31).action("action_fallback")
        .bot("Sorry, I didn't get that. Could you rephrase?")
        .user("what about the knee thing", "ask_worthwhile", 0.52)
        .slot("handoff_requested", True).bot("Let me find a person for you.")
    )
    urgent = (
        Chat("conv-urgent", "telegram", BASE_TIME + 2 * 86_400)
        .user("crushing chest pain right now", "red_flag", 0.99)
        .action("action_emergency_guidance").bot("Call 911 now.")
    )
    silent = Chat("conv-silent", "socketio", BASE_TIME).action("action_session_start")
    return [plain, confused, urgent, silent]
