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
from tests.actions.conftest import make_tracker, slot_events
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


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    return [m.get("text") or "" for m in dispatcher.messages]


def followups(events: list[dict[str, Any]]) -> list[str]:
    return [e["name"] for e in events if e.get("event") == "followup"]


async def test_the_zip_is_asked_only_once_the_subspecialty_is_known(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    unknown = make_tracker(text="find radiologists near me", intent="find_nearby")
    assert followups(await ActionStartDirectory().run(dispatcher, unknown, domain)) == [
        "subspecialist_form"
    ]
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
    if expected is None:
        assert "ZIP code" in texts(dispatcher)[0]


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
    shown = texts(dispatcher)
    assert "near 19101" in shown[0]
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
    assert len(texts(more)) == 3  # two more cards, then the closing question
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
    (message,) = dispatcher.messages
    assert "near 19101" in message["text"]
    assert "\n\n1. Kid Reader1, MD" in message["text"] and "\n\n4. " in message["text"]
    assert "\n\n5. " not in message["text"]
    assert message["text"].endswith("shall we open a case so our team can help?")
    assert [b["payload"] for b in message["buttons"]] == ["/find_nearby_more", "/open_case"]


async def test_an_unreachable_registry_is_one_sentence_then_the_programs(
    monkeypatch: pytest.MonkeyPatch, dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    offline = NppesClient("http://127.0.0.1:9/api/", offline=True)
    monkeypatch.setattr(directory, "default_client", lambda: offline)
    tracker = make_tracker(slots={"suggested_subspecialty": "pediatric", "patient_zip": "19104"})
    await ActionFindRadiologists().run(dispatcher, tracker, domain)
    shown = texts(dispatcher)
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
    assert texts(dispatcher)[0].startswith("I couldn't reach")


async def test_a_skipped_zip_gives_the_programs(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(slots={"suggested_subspecialty": "pediatric", "patient_zip": "skip"})
    events = await ActionFindRadiologists().run(dispatcher, tracker, domain)
    assert texts(dispatcher)[0].startswith("No problem. These programs accept studies")
    assert slot_events(events) == {"patient_zip": None}
