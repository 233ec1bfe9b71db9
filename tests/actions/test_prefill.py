"""Details typed with a question: the case number in a status question fills the form's slot."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.prefill import ActionReadCaseNumber, case_number_in
from bot.cases import new_case_number
from tests.actions.conftest import make_tracker, slot_events

NUMBER = new_case_number(2026)


def test_the_domain_reads_the_number_from_a_status_question(domain: dict[str, Any]) -> None:
    mappings = domain["slots"]["lookup_case_number"]["mappings"]
    assert {
        "type": "custom", "action": "action_read_case_number", "intent": "check_case_status"
    } in mappings
    assert "action_read_case_number" in domain["actions"]


@pytest.mark.parametrize(
    "text",
    [
        f"hi, what's the status of my case {NUMBER}?",
        f"case {NUMBER.lower().replace('-', ' ')} - any news?",
        f"Any update on {NUMBER.removeprefix('SR-')} please",
    ],
)
async def test_a_number_in_the_status_question_fills_the_slot(
    text: str, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(text, intent="check_case_status")
    events = await ActionReadCaseNumber().run(dispatcher, tracker, domain)
    assert slot_events(events) == {"lookup_case_number": NUMBER}
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    "text", ["what's the status of my case?", "call me on 15551234567", "case from 2026 please"]
)
async def test_no_number_leaves_the_question_to_the_form(
    text: str, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(text, intent="check_case_status")
    assert await ActionReadCaseNumber().run(dispatcher, tracker, domain) == []


def test_a_mistyped_number_is_still_handed_to_the_validator() -> None:
    # The form's validator checks the check symbol and explains a typo; the shape is enough here.
    wrong = NUMBER[:-1] + ("A" if NUMBER[-1] != "A" else "B")
    assert case_number_in(f"status of {wrong}") == wrong
