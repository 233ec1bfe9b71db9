"""Reading one conversation's events from Rasa's `events` table (the PostgreSQL tracker store)
and what can be wrong with them: a message stored twice, events out of time order, a turn that
never finished (no bot message, or no `action_listen` at its end)."""

from __future__ import annotations

import itertools
import json
from collections import Counter

from sqlalchemy import text

from bot.db import make_engine


def stored_events(database_url: str, sender: str) -> list[dict]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender}
            ).scalars()
            return [json.loads(row) for row in rows]
    finally:
        engine.dispose()


def user_texts(events: list[dict]) -> list[str]:
    return [str(e.get("text")) for e in events if e["event"] == "user"]


def brief(event: dict) -> str:
    what = event.get("name") or event.get("text") or ""
    return f"{event['event']} {what!r} at {event['timestamp']:.3f}"


def problems(events: list[dict]) -> list[str]:
    """Duplicated events, events out of time order, incomplete turns (empty: none)."""
    found = []
    serialised = [json.dumps(e, sort_keys=True) for e in events]
    duplicates = [k for k, n in Counter(serialised).items() if n > 1]
    if duplicates:
        found.append(f"{len(duplicates)} event(s) stored twice")
    for before, after in itertools.pairwise(events):
        if after["timestamp"] < before["timestamp"]:
            found.append(f"out of time order: {brief(before)} before {brief(after)}")
    # A turn: the user event, then actions and bot messages, ending with action_listen.
    turn: list[dict] = []
    for event in [*events, {"event": "user"}]:
        if event["event"] == "user" and turn and turn[0]["event"] == "user":
            actions = [e.get("name") for e in turn if e["event"] == "action"]
            if (
                not actions
                or actions[-1] != "action_listen"
                or not any(e["event"] == "bot" for e in turn)
            ):
                found.append(f"incomplete turn for {turn[0].get('text')!r}: {actions}")
        if event["event"] == "user":
            turn = []
        turn.append(event)
    return found
