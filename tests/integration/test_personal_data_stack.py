"""Personal data in Rasa's tracker, through the real Rasa server, action server and database
(issue 13, item 7): a new session after a case carries no personal slot, and "delete my data"
leaves no personal event behind at the end of that very turn (no timed purges)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from bot.actions.session import PERSONAL_SLOTS
from tests.integration.stack import Stack

pytestmark = pytest.mark.integration

PERSONAL = ("Maria Lopez", "1980-03-14", "maria@example.com", "March 14, 1980")


def texts(replies: list[dict[str, Any]]) -> list[str]:
    return [r.get("text", "") for r in replies]


def stored_events(stack: Stack, sender: str) -> list[dict[str, Any]]:
    with create_engine(f"sqlite:///{stack.tracker_db}").connect() as conn:
        rows = conn.execute(
            text("SELECT data FROM events WHERE sender_id = :me ORDER BY id"), {"me": sender}
        )
        return [json.loads(row[0]) for row in rows]


def open_a_case(stack: Stack, me: str) -> str:
    stack.say(me, "/open_case")
    stack.say(me, '/affirm{"confirm":"consent"}')
    stack.say(me, "Maria Lopez")
    stack.say(me, "03/14/1980")
    stack.say(me, "maria@example.com")
    replies = stack.say(me, '/affirm{"confirm":"case"}')
    number = str(stack.tracker(me)["slots"]["case_number"])
    assert number in texts(replies)[0]
    return number


def age_conversation(stack: Stack, sender: str, seconds: int) -> None:
    """Move the stored conversation back in time, as if the patient had been away."""
    with create_engine(f"sqlite:///{stack.tracker_db}").begin() as conn:
        conn.execute(
            text(
                "UPDATE events SET timestamp = timestamp - :s, data = json_set(data, "
                "'$.timestamp', json_extract(data, '$.timestamp') - :s) WHERE sender_id = :me"
            ),
            {"s": seconds, "me": sender},
        )


def test_a_new_session_after_a_case_carries_no_personal_slot(stack: Stack) -> None:
    me = f"it-session-{uuid.uuid4().hex[:10]}"
    number = open_a_case(stack, me)
    slots = stack.tracker(me)["slots"]
    assert slots["full_name"] == "Maria Lopez"  # this session still knows them
    age_conversation(stack, me, 3 * 3600)  # sessions expire after 120 silent minutes

    stack.say(me, "hi")
    tracker = stack.tracker(me)  # Rasa's API shows every session's events
    started = [i for i, e in enumerate(tracker["events"]) if e["event"] == "session_started"]
    assert len(started) == 2  # the first session, and the new one
    # Rasa logs `action_session_start`, then the action's own events: SessionStarted first.
    new_session = tracker["events"][started[-1] - 1 :]
    assert new_session[0]["name"] == "action_session_start"
    for slot in PERSONAL_SLOTS:
        assert tracker["slots"][slot] is None, slot
    assert tracker["slots"]["case_consent"] is None
    assert tracker["slots"]["case_number"] == number  # a random reference, carried
    for personal in PERSONAL:
        holding = [e for e in new_session if personal in json.dumps(e)]
        assert holding == [], personal


def test_delete_my_data_leaves_no_personal_event_at_the_end_of_the_turn(stack: Stack) -> None:
    me = f"it-erase-{uuid.uuid4().hex[:10]}"
    other = f"it-other-{uuid.uuid4().hex[:10]}"
    open_a_case(stack, me)
    stack.say(other, "hi")
    before = stored_events(stack, me)
    assert any("Maria Lopez" in json.dumps(e) for e in before)

    stack.say(me, "/delete_my_data")
    replies = stack.say(me, '/affirm{"confirm":"delete"}')
    assert texts(replies)[0].startswith("Done: I've deleted your case")
    # Right when the turn's reply is back: Rasa has saved the turn, without the erased events.
    after = stored_events(stack, me)
    assert [(e["event"], e.get("name")) for e in after] == [("action", "action_listen")]
    time.sleep(3)  # nothing is written back later either
    assert stored_events(stack, me) == after
    assert stored_events(stack, other)  # someone else's conversation is untouched

    # The conversation goes on, from a clean slate.
    stack.say(me, "hi")
    tracker = stack.tracker(me)
    assert all(tracker["slots"][slot] is None for slot in PERSONAL_SLOTS)
    everything = json.dumps(stored_events(stack, me))
    for personal in PERSONAL:
        assert personal not in everything
