"""Consenting and destructive answers count only for their own question (issue 15, item 3).

Before: every "Yes" button sent `/affirm`, so an old "Yes, show me the options" pressed after
"Delete everything?" deleted the patient's data, and any old "Yes" could give consent.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import create_engine, text

from bot.actions.cases import ValidateCaseForm
from bot.actions.erasure import ActionDeleteMyData
from tests.actions.conftest import make_tracker, responses, slot_events
from tests.actions.test_cases import FILLED, opened_case


def pressed(payload: str, question: str | None, **kwargs: Any) -> Tracker:
    """A tracker whose latest message is a button press naming `question` (or none)."""
    tracker = make_tracker(text=payload, intent="affirm", **kwargs)
    if question is not None:
        tracker.latest_message["entities"] = [{"entity": "confirm", "value": question}]
    return tracker


def count(url: str, sql: str) -> int:
    with create_engine(url).connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


async def test_an_old_yes_cannot_delete(case_db: str, domain: dict[str, Any]) -> None:
    await opened_case(domain)
    for tracker in (
        pressed('/affirm{"confirm":"options"}', "options"),  # "Yes, show me the options"
        pressed('/affirm{"confirm":"consent"}', "consent"),  # "Yes, I agree"
        pressed("/affirm", None),  # any older "Yes" button
    ):
        dispatcher = CollectingDispatcher()
        events = await ActionDeleteMyData().run(dispatcher, tracker, domain)
        assert events == [{"event": "followup", "timestamp": None, "name": "utter_confirm_delete"}]
        assert responses(dispatcher) == ["utter_stale_answer"]
        assert count(case_db, "SELECT count(*) FROM cases") == 1


async def test_the_delete_button_or_a_typed_yes_deletes(
    case_db: str, domain: dict[str, Any]
) -> None:
    for tracker in (pressed('/affirm{"confirm":"delete"}', "delete"), pressed("yes", None)):
        await opened_case(domain)
        events = await ActionDeleteMyData().run(CollectingDispatcher(), tracker, domain)
        assert {"event": "reset_slots", "timestamp": None} in events
        assert count(case_db, "SELECT count(*) FROM cases") == 0


async def test_consent_needs_the_consent_question_s_own_answer(
    case_db: str, domain: dict[str, Any]
) -> None:
    for payload, question, expected in (
        ('/affirm{"confirm":"delete"}', "delete", None),
        ("/affirm", None, None),
        ('/affirm{"confirm":"consent"}', "consent", "yes"),
    ):
        dispatcher = CollectingDispatcher()
        tracker = pressed(
            payload, question, set_this_turn={"case_consent": "yes"}, active_loop="case_form"
        )
        slots = slot_events(await ValidateCaseForm().run(dispatcher, tracker, domain))
        assert slots["case_consent"] == expected
        assert ("utter_stale_answer" in responses(dispatcher)) == (expected is None)
    # Only the bound answer was recorded as consent.
    assert count(case_db, "SELECT count(*) FROM consent_records") == 1


async def test_the_case_is_confirmed_only_by_its_summary_s_button(
    case_db: str, domain: dict[str, Any]
) -> None:
    unconfirmed = {**FILLED, "case_confirmed": None}
    for payload, question, expected in (
        ('/affirm{"confirm":"consent"}', "consent", None),
        ('/affirm{"confirm":"case"}', "case", "yes"),
    ):
        tracker = pressed(
            payload,
            question,
            slots=unconfirmed,
            set_this_turn={"case_confirmed": "yes"},
            active_loop="case_form",
        )
        slots = slot_events(await ValidateCaseForm().run(CollectingDispatcher(), tracker, domain))
        assert slots["case_confirmed"] == expected
