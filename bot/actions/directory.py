"""Journey 3, continued: radiologists near the patient, from the NPI Registry.

After the subspecialty answer the patient may ask for names near them; the directory form asks
for a ZIP code (with the reason, and a way to skip), then `action_find_radiologists` shows a few
cards, nearest first, and a "more" button (on Telegram: one numbered list with inline buttons).
When the registry cannot be asked, one sentence says so and the programs and a way to search by
hand are given instead; the conversation goes on.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.form_validation import FormValidation
from bot.actions.slots import first_text, slot_text
from bot.directory.service import (
    NearbyResult,
    default_client,
    find_nearby,
    listed_as,
    zip_for_city,
)
from bot.guidance import nearby, programs, questions
from bot.notify.telegram.ids import is_telegram

SKIPPED = "skip"
# The registry gets this long (all its pages and retries) before the patient hears why not.
BUDGET_SECONDS = 4.0
MORE_BUTTON = {"title": "Show more", "payload": "/find_nearby_more"}
CASE_BUTTON = {"title": "Open a second-opinion case", "payload": "/open_case"}


class ActionStartDirectory(Action):
    """The ZIP code is asked only once the subspecialty is known."""

    def name(self) -> str:
        return "action_start_directory"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if slot_text(tracker, "suggested_subspecialty") is None:
            dispatcher.utter_message(response="utter_subspecialty_first")
            return [FollowupAction("subspecialist_form")]
        return [SlotSet("patient_zip", None), FollowupAction("directory_form")]


class ValidateDirectoryForm(FormValidation):
    def name(self) -> str:
        return "validate_directory_form"

    async def validate_patient_zip(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = first_text(value)
        postal_code = nearby.parse_zip(text)
        city = nearby.parse_city_state(text)
        if postal_code is None and city is not None:
            postal_code = zip_for_city(*city)
        if postal_code:
            return {"patient_zip": postal_code}
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        # "No", "I don't know it", or not wanting to say: the programs, which need no place.
        if intent in ("deny", "dont_know") or nearby.wants_to_skip(text):
            return {"patient_zip": SKIPPED}
        reply = questions.question_reply(text)
        if reply is not None:
            dispatcher.utter_message(response=reply)
        else:
            dispatcher.utter_message(response="utter_explain_patient_zip")
        return {"patient_zip": None}


async def _look_up(key: str | None, postal_code: str) -> NearbyResult | None:
    try:
        return await asyncio.wait_for(
            asyncio.to_thread(find_nearby, default_client(), key, postal_code), BUDGET_SECONDS
        )
    except TimeoutError:
        return None


def _programs_text(key: str | None) -> str:
    return programs.format_programs(programs.programs_for(key))


class ActionFindRadiologists(Action):
    """Cards for the listings nearest the ZIP code; "Show more" pages on."""

    def name(self) -> str:
        return "action_find_radiologists"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        key = slot_text(tracker, "suggested_subspecialty")
        postal_code = slot_text(tracker, "patient_zip")
        description = listed_as(key)[1]
        if postal_code is None or postal_code == SKIPPED:
            dispatcher.utter_message(
                response="utter_programs_anywhere", programs=_programs_text(key)
            )
            return [SlotSet("patient_zip", None)]
        more = (tracker.latest_message.get("intent") or {}).get("name") == "find_nearby_more"
        page = int(tracker.get_slot("directory_page") or 0) + 1 if more else 0
        result = await _look_up(key, postal_code)
        hint = nearby.search_hint(description, postal_code)
        if result is None or not result.reachable:
            dispatcher.utter_message(response="utter_registry_offline", hint=hint)
            dispatcher.utter_message(text=_programs_text(key), buttons=[CASE_BUTTON])
            return [SlotSet("directory_page", 0)]
        shown = result.ranked[page * nearby.CARDS_PER_PAGE: (page + 1) * nearby.CARDS_PER_PAGE]
        if not result.ranked:
            dispatcher.utter_message(
                response="utter_no_radiologists_found", listed_as=description, hint=hint
            )
            dispatcher.utter_message(text=_programs_text(key), buttons=[CASE_BUTTON])
            return [SlotSet("directory_page", 0)]
        if not shown:
            dispatcher.utter_message(response="utter_no_more_listings")
            return [SlotSet("directory_page", page)]
        has_more = len(result.ranked) > (page + 1) * nearby.CARDS_PER_PAGE
        buttons = [MORE_BUTTON, CASE_BUTTON] if has_more else [CASE_BUTTON]
        if is_telegram(tracker.sender_id):
            # A chat shows one message per bubble: a compact numbered list in one message (the
            # first page with the intro), with the inline buttons under it.
            first = page * nearby.CARDS_PER_PAGE + 1
            listing = "\n\n".join(
                f"{number}. {nearby.card(item)}" for number, item in enumerate(shown, first)
            )
            dispatcher.utter_message(
                response="utter_nearby_list_first_page" if page == 0 else "utter_nearby_list",
                listing=listing,
                buttons=buttons,
            )
            return [SlotSet("directory_page", page)]
        if page == 0:
            dispatcher.utter_message(response="utter_nearby_intro")
        for item in shown:
            dispatcher.utter_message(text=nearby.card(item))
        dispatcher.utter_message(response="utter_nearby_more_or_case", buttons=buttons)
        return [SlotSet("directory_page", page)]
