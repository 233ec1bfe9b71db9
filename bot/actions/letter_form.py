"""The letter form's answers: the imaging center's name and how the copies should come.

The letter itself, its download and the follow-ups are in bot/actions/letters.py.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.form_validation import FormValidation
from bot.actions.slots import first_text, latest_text
from bot.actions.uploads import requested_upload_ids
from bot.guidance import questions
from bot.guidance.records_letter import parse_delivery

# How the copies should come, said in words the NLU reads as files or records talk ("through
# the patient portal please", "on a CD"): an answer, not an interruption.
FILE_TALK = frozenset({"upload_files", "request_records", "records_delay"})


class ValidateLetterForm(FormValidation):
    def name(self) -> str:
        return "validate_letter_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        asked = tracker.get_slot("requested_slot") == "letter_delivery"
        if asked and intent in FILE_TALK and not requested_upload_ids(tracker):
            delivery = parse_delivery(latest_text(tracker))
            if delivery is not None:
                answered = SlotSet("letter_delivery", delivery)
                tracker.add_slots([answered])
                next_slot = await self.next_requested_slot(dispatcher, tracker, domain)
                return [answered, *([next_slot] if next_slot else [])]
        return await super().run(dispatcher, tracker, domain)

    async def validate_imaging_center(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = (first_text(value) or "").strip()
        if questions.question_reply(text) is not None and not questions.starts_with_answer(text):
            dispatcher.utter_message(response=questions.question_reply(text))
            return {"imaging_center": None}
        if not 2 <= len(text) <= 120 or text.startswith("/"):
            dispatcher.utter_message(response="utter_explain_imaging_center")
            return {"imaging_center": None}
        return {"imaging_center": text}

    async def validate_letter_delivery(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        delivery = parse_delivery(first_text(value))
        if delivery is None:
            dispatcher.utter_message(response="utter_explain_letter_delivery")
        return {"letter_delivery": delivery}
