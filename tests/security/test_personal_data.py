"""Personal data in Rasa's tracker (issue 13, item 7).

- A new session carries over only non-personal slots (bot/actions/session.py).
- "Delete my data" erases Rasa's stored events at the end of that turn, through the tracker
  store (bot/rasa_ext/erasing_tracker_store.py), not by timed purges racing Rasa. The store is
  exercised in the Rasa environment itself (Python 3.10, `.venv-rasa`); the whole flow through
  the real stack is in tests/integration/test_personal_data_stack.py. The store runs on SQLite
  and on PostgreSQL.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import text

from bot.actions.erasure import ERASURE_SLOT
from bot.actions.session import CARRIED_OVER_SLOTS, PERSONAL_SLOTS, ActionSessionStart
from bot.db import make_engine
from tests.actions.conftest import make_tracker

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"

AFTER_A_CASE = {
    "exam_type": "mri",
    "body_part": "knee",
    "second_opinion_reason": "surgery_planned",
    "suggested_subspecialty": "musculoskeletal",
    "insurance_answers": {"plan_type": "ppo"},
    "case_number": "SR-2026-5N3KG8-5",
    "case_consent": "yes",
    "full_name": "Maria Lopez",
    "date_of_birth": "1980-03-14",
    "contact": "maria@example.com",
    "contact_email": "maria@example.com",
    "contact_phone": "+16175550142",
    "case_confirmed": "yes",
    "lookup_case_number": "SR-2026-5N3KG8-5",
    "lookup_date_of_birth": "1980-03-14",
    "red_flag_category": "stroke",
    "requested_slot": "contact",
}


async def test_a_new_session_after_a_case_carries_no_personal_slot(
    domain: dict[str, Any],
) -> None:
    tracker = make_tracker(slots=AFTER_A_CASE)
    events = await ActionSessionStart().run(CollectingDispatcher(), tracker, domain)
    assert events[0]["event"] == "session_started"
    assert (events[-1]["event"], events[-1]["name"]) == ("action", "action_listen")
    carried = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert carried == {
        "exam_type": "mri",
        "body_part": "knee",
        "second_opinion_reason": "surgery_planned",
        "suggested_subspecialty": "musculoskeletal",
        "insurance_answers": {"plan_type": "ppo"},
        "case_number": "SR-2026-5N3KG8-5",
    }
    flat = json.dumps(events)
    for personal in ("Maria", "1980-03-14", "maria@example.com", "+1617"):
        assert personal not in flat


def test_every_slot_is_either_carried_or_left_behind_on_purpose(domain: dict[str, Any]) -> None:
    slots = set(domain["slots"])
    assert CARRIED_OVER_SLOTS.issubset(slots) and PERSONAL_SLOTS.issubset(slots)
    assert not CARRIED_OVER_SLOTS & PERSONAL_SLOTS
    # Rasa's own carry-over is off: only the action decides.
    assert domain["session_config"]["carry_over_slots_to_new_session"] is False
    assert "action_session_start" in domain["actions"]


def test_the_erasure_marker_is_one_slot_everywhere(domain: dict[str, Any]) -> None:
    assert ERASURE_SLOT in domain["slots"]
    assert domain["slots"][ERASURE_SLOT]["influence_conversation"] is False
    store = (ROOT / "bot/rasa_ext/erasing_tracker_store.py").read_text()
    assert f'ERASURE_SLOT = "{ERASURE_SLOT}"' in store
    endpoints = (ROOT / "endpoints.yml").read_text()
    assert re.search(
        r"tracker_store:\s*\n\s*type: bot\.rasa_ext\.erasing_tracker_store\.ErasingSQLTrackerStore",
        endpoints,
    )


def test_start_over_says_truthfully_what_it_clears(domain: dict[str, Any]) -> None:
    [restart] = domain["responses"]["utter_restart"]
    said = restart["text"]
    assert "Everything you told me in this chat is cleared" not in said
    assert "forgotten your answers" in said
    assert "kept" in said and "delete my data" in said


# --- the tracker store, in Rasa's own environment ---------------------------------------------

STORE_SCRIPT = r"""
import asyncio, json, sys
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted, AllSlotsReset, BotUttered, SessionStarted, SlotSet, UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from bot.rasa_ext.erasing_tracker_store import ErasingSQLTrackerStore

domain = Domain.load("domain.yml")
store = ErasingSQLTrackerStore(domain=domain, host=sys.argv[1], dialect="sqlite")
mode = sys.argv[2]


async def main():
    patient = DialogueStateTracker("patient", domain.slots)
    for event in (SessionStarted(), ActionExecuted("action_listen"), UserUttered("Maria Lopez"),
                  SlotSet("full_name", "Maria Lopez"), ActionExecuted("action_listen")):
        patient.update(event)
    await store.save(patient)
    other = DialogueStateTracker("someone-else", domain.slots)
    other.update(UserUttered("my name is Ann Other"))
    await store.save(other)

    turn = await store.retrieve("patient")
    turn.update(UserUttered("/affirm"))
    turn.update(ActionExecuted("action_delete_my_data"))
    turn.update(BotUttered("Done: I've deleted your details"))
    if mode == "erase":
        turn.update(AllSlotsReset())
        turn.update(SlotSet("personal_data_erased", True))
    turn.update(ActionExecuted("action_listen"))
    await store.save(turn)
    await store.save(turn)  # a second save in the same turn changes nothing

    later = await store.retrieve("patient")
    later.update(UserUttered("hello again"))
    later.update(ActionExecuted("action_listen"))
    await store.save(later)
    print(json.dumps({"slots": (await store.retrieve("patient")).current_slot_values()}))


asyncio.run(main())
"""


def run_store(database_url: str, mode: str) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Run STORE_SCRIPT with Rasa on `database_url` (one of ours, migrated; Rasa adds
    `events`); the script's output and the stored (sender_id, data) rows."""
    if not RASA_PYTHON.exists():
        pytest.fail("the Rasa environment is missing: run `make install`")
    rasa_url = database_url.replace("+psycopg", "")  # Rasa's SQLAlchemy 1.4 uses psycopg2
    done = subprocess.run(
        [str(RASA_PYTHON), "-c", STORE_SCRIPT, rasa_url, mode],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    output = json.loads(done.stdout.strip().splitlines()[-1])
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            query = text("SELECT sender_id, data FROM events ORDER BY id")
            rows = [(str(r[0]), str(r[1])) for r in conn.execute(query)]
    finally:
        engine.dispose()
    return output, rows


def test_the_store_erases_the_conversation_at_the_end_of_the_turn(database_url: str) -> None:
    output, rows = run_store(database_url, "erase")
    mine = [json.loads(data) for sender, data in rows if sender == "patient"]
    # Only what followed the marker, then the next turn, saved as usual.
    assert [(e["event"], e.get("name") or e.get("text")) for e in mine] == [
        ("action", "action_listen"),
        ("user", "hello again"),
        ("action", "action_listen"),
    ]
    stored = json.dumps(mine)
    assert "Maria" not in stored and "personal_data_erased" not in stored
    assert output["slots"]["full_name"] is None
    # Another conversation is untouched.
    assert [json.loads(d)["text"] for s, d in rows if s == "someone-else"] == [
        "my name is Ann Other"
    ]


def test_without_the_marker_the_store_keeps_everything(database_url: str) -> None:
    output, rows = run_store(database_url, "keep")
    mine = [json.loads(data) for sender, data in rows if sender == "patient"]
    assert len(mine) == 5 + 4 + 2  # nothing lost, nothing written twice
    assert "Maria Lopez" in json.dumps(mine)
    assert output["slots"]["full_name"] == "Maria Lopez"
