"""The letter form's answers: the imaging center's name and how the copies should come.

The letter itself, its download and the follow-ups are in bot/actions/letters.py.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.form_validation import FormValidation
from bot.actions.slots import first_text
from bot.guidance import questions
from bot.guidance.records_letter import parse_delivery


class ValidateLetterForm(FormValidation):
    def name(self) -> str:
        return "validate_letter_form"

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
