"""Radiologists near the patient: the directory actions with real Trackers and a fake registry."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import directory
from bot.actions.directory import (
    ActionFindRadiologists,
    ActionStartDirectory,
    ValidateDirectoryForm,
)
from bot.directory.nppes import NppesClient, make_session
from tests.actions.conftest import make_tracker, rendered, responses, said, slot_events
from tests.directory.fake_nppes import FakeRegistry, person, serve

PEDIATRIC = ("2085P0229X", "Radiology, Pediatric Radiology")
TAXONOMY_CODE = re.compile(r"\b\d{3}[0-9A-Z]{6}X\b")


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeRegistry]:
    records = [
        person(f"10000{i:05d}", "Kid", f"Reader{i}", *PEDIATRIC, "Philadelphia", "PA",
               f"191{i:02d}") for i in range(1, 7)
    ]
    with serve(FakeRegistry(records)) as fake:
        client = NppesClient(fake.url, session=make_session(backoff=0), timeout=1.0)
        monkeypatch.setattr(directory, "default_client", lambda: client)
        yield fake




def followups(events: list[dict[str, Any]]) -> list[str]:
    return [e["name"] for e in events if e.get("event") == "followup"]


async def test_the_zip_is_asked_only_once_the_subspecialty_is_known(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    unknown = make_tracker(text="find radiologists near me", intent="find_nearby")
    assert followups(await ActionStartDirectory().run(dispatcher, unknown, domain)) == [
        "subspecialist_form"
    ]
    assert responses(dispatcher) == ["utter_subspecialty_first"]
    known = make_tracker(
        text="find radiologists near me", intent="find_nearby",
        slots={"suggested_subspecialty": "pediatric"},
    )
    assert followups(await ActionStartDirectory().run(dispatcher, known, domain)) == [
        "directory_form"
    ]


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        ("19104", "inform", "19104"),
        ("we're in 19104-3246", "inform", "19104"),
        ("skip", "stop", "skip"),
        ("/deny", "deny", "skip"),
        ("I'd rather not say", "deny", "skip"),
        ("no idea what it is", "dont_know", "skip"),
        ("Boston, MA", "inform", "02108"),  # a city and state: one of its ZIP codes
        ("Philly", "inform", None),
    ],
)
async def test_zip_answers(
    text: str, intent: str, expected: str | None,
    dispatcher: CollectingDispatcher, domain: dict[str, Any],
) -> None:
    tracker = make_tracker(
        text=text, intent=intent, active_loop="directory_form",
        slots={"requested_slot": "patient_zip"}, set_this_turn={"patient_zip": text},
    )
    events = await ValidateDirectoryForm().run(dispatcher, tracker, domain)
    assert slot_events(events)["patient_zip"] == expected
    assert responses(dispatcher) == ([] if expected else ["utter_explain_patient_zip"])


async def test_a_question_at_the_zip_prompt_is_answered(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    question = "why do you need that?"
    tracker = make_tracker(
        text=question, intent="inform", active_loop="directory_form",
        slots={"requested_slot": "patient_zip"}, set_this_turn={"patient_zip": question},
    )
    events = await ValidateDirectoryForm().run(dispatcher, tracker, domain)
    assert slot_events(events)["patient_zip"] is None
    assert dispatcher.messages[0]["response"] == "utter_form_help"


async def test_nearest_listings_as_cards_with_more(
    registry: FakeRegistry, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(slots={"suggested_subspecialty": "pediatric", "patient_zip": "19101"})
    events = await ActionFindRadiologists().run(dispatcher, tracker, domain)
    shown = said(dispatcher, domain, tracker)
    assert responses(dispatcher) == [
        "utter_nearby_intro", None, None, None, None, "utter_nearby_more_or_case"
    ]
    assert "near 19101" in shown[0]  # the ZIP code slot
    cards = shown[1:-1]
    assert len(cards) == 4
    assert cards[0].startswith("Kid Reader1, MD")  # the listing in the patient's own ZIP code
    assert all("Listed as: Pediatric Radiology" in c for c in cards)
    assert not any(TAXONOMY_CODE.search(t) for t in shown)
    assert [b["payload"] for b in dispatcher.messages[-1]["buttons"]] == [
        "/find_nearby_more", "/open_case"
    ]
    assert slot_events(events) == {"directory_page": 0}

    more = CollectingDispatcher()
    tracker = make_tracker(
        text="show more", intent="find_nearby_more",
        slots={"suggested_subspecialty": "pediatric", "patient_zip": "19101",
               "directory_page": 0},
    )
    events = await ActionFindRadiologists().run(more, tracker, domain)
    # Two more cards, then the closing question; no intro on the second page.
    assert responses(more) == [None, None, "utter_nearby_more_or_case"]
    assert [b["payload"] for b in more.messages[-1]["buttons"]] == ["/open_case"]
    assert slot_events(events) == {"directory_page": 1}
    # The second page came from the cache, not from the registry again.
    assert len({tuple(sorted(r.items())) for r in registry.requests}) == len(registry.requests)


async def test_on_telegram_the_listings_are_one_numbered_list_with_the_buttons(
    registry: FakeRegistry, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(slots={"suggested_subspecialty": "pediatric", "patient_zip": "19101"})
    tracker.sender_id = "telegram:5f2c"
    await ActionFindRadiologists().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_nearby_list_first_page"]
    message = rendered(dispatcher.messages[0], domain, tracker)
    assert "near 19101" in message["text"]
    assert "\n\n1. Kid Reader1, MD" in message["text"] and "\n\n4. " in message["text"]
    assert "\n\n5. " not in message["text"]
    assert message["text"].endswith("shall we open a case so our team can help?")
    assert [b["payload"] for b in message["buttons"]] == ["/find_nearby_more", "/open_case"]

    more = CollectingDispatcher()
    tracker = make_tracker(
        text="show more", intent="find_nearby_more",
        slots={"suggested_subspecialty": "pediatric", "patient_zip": "19101",
               "directory_page": 0},
    )
    tracker.sender_id = "telegram:5f2c"
    await ActionFindRadiologists().run(more, tracker, domain)
    assert responses(more) == ["utter_nearby_list"]
    (text,) = said(more, domain, tracker)
    assert text.startswith("5. ") and "\n\n6. " in text and "near 19101" not in text


def test_the_telegram_list_has_the_widget_s_intro_and_question(domain: dict[str, Any]) -> None:
    """One message on Telegram, three kinds in the widget: the same words either way."""
    text = {name: domain["responses"][name][0]["text"] for name in (
        "utter_nearby_intro", "utter_nearby_more_or_case", "utter_nearby_list_first_page",
        "utter_nearby_list")}
    question = text["utter_nearby_more_or_case"]
    assert text["utter_nearby_list"] == "{listing}\n\n" + question
    assert text["utter_nearby_list_first_page"] == (
        text["utter_nearby_intro"] + "\n\n" + text["utter_nearby_list"]
    )


async def test_an_unreachable_registry_is_one_sentence_then_the_programs(
    monkeypatch: pytest.MonkeyPatch, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    offline = NppesClient("http://127.0.0.1:9/api/", offline=True)
    monkeypatch.setattr(directory, "default_client", lambda: offline)
    tracker = make_tracker(slots={"suggested_subspecialty": "pediatric", "patient_zip": "19104"})
    await ActionFindRadiologists().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_registry_offline", None]
    shown = said(dispatcher, domain, tracker)
    assert shown[0].startswith("I couldn't reach the national provider registry")
    assert "npiregistry.cms.hhs.gov" in shown[0] and "Pediatric Radiology" in shown[0]
    assert "may have changed" in shown[1]


async def test_a_registry_slower_than_the_budget_is_unreachable(
    monkeypatch: pytest.MonkeyPatch, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    monkeypatch.setattr(directory, "BUDGET_SECONDS", 0.2)
    with serve(FakeRegistry(replies=[(200, {"results": []}, 1.0)] * 5)) as fake:
        slow = NppesClient(fake.url, session=make_session(retries=0), timeout=2.0)
        monkeypatch.setattr(directory, "default_client", lambda: slow)
        tracker = make_tracker(
            slots={"suggested_subspecialty": "neuroradiology", "patient_zip": "19104"}
        )
        await ActionFindRadiologists().run(dispatcher, tracker, domain)
    assert responses(dispatcher)[0] == "utter_registry_offline"


async def test_a_skipped_zip_gives_the_programs(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(slots={"suggested_subspecialty": "pediatric", "patient_zip": "skip"})
    events = await ActionFindRadiologists().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_programs_anywhere"]
    (message,) = (rendered(m, domain, tracker) for m in dispatcher.messages)
    assert message["text"].startswith("No problem. These programs accept studies from anywhere:\n")
    assert "may have changed" in message["text"]  # the programs, under the sentence
    assert [b["payload"] for b in message["buttons"]] == ["/open_case"]
    assert slot_events(events) == {"patient_zip": None}


async def test_no_listing_near_the_zip_names_the_search_then_the_programs(
    monkeypatch: pytest.MonkeyPatch, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    with serve(FakeRegistry([])) as fake:
        empty = NppesClient(fake.url, session=make_session(backoff=0), timeout=1.0)
        monkeypatch.setattr(directory, "default_client", lambda: empty)
        tracker = make_tracker(
            slots={"suggested_subspecialty": "pediatric", "patient_zip": "19104"}
        )
        events = await ActionFindRadiologists().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_no_radiologists_found", None]
    (none_found, _) = said(dispatcher, domain, tracker)
    assert none_found.startswith(
        "I found no radiologists listed as Pediatric Radiology near 19104 in the national"
    )
    assert "npiregistry.cms.hhs.gov" in none_found
    assert slot_events(events) == {"directory_page": 0}


async def test_more_after_the_last_page_says_that_was_all(
    registry: FakeRegistry, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(
        text="show more", intent="find_nearby_more",
        slots={"suggested_subspecialty": "pediatric", "patient_zip": "19101",
               "directory_page": 1},
    )
    events = await ActionFindRadiologists().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_no_more_listings"]
    (message,) = (rendered(m, domain, tracker) for m in dispatcher.messages)
    assert message["text"] == "That's all the listings I found near 19101."
    assert [b["payload"] for b in message["buttons"]] == ["/open_case"]
    assert slot_events(events) == {"directory_page": 2}
