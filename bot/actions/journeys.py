"""The tailored answers at the end of journeys 1, 3 and 4.

The answers stay in their slots: the patient's age, situation and insurance are facts of this
conversation, so a later journey or upload uses them instead of asking again (a new message that
states otherwise changes them, see bot/actions/forms.py).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.slots import slot_text
from bot.guidance import insurance, programs, subspecialty, worthwhile


class ActionWorthwhileAnswer(Action):
    """Journey 1: is a second read worthwhile? Judges the situation, never the images."""

    def name(self) -> str:
        return "action_worthwhile_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        situation = slot_text(tracker, "situation")
        assessment = worthwhile.assess_worthwhile(
            slot_text(tracker, "exam_type"), slot_text(tracker, "body_part"), situation
        )
        dispatcher.utter_message(text=assessment.as_text())
        # The reason goes to the case.
        return [SlotSet("second_opinion_reason", situation)]


# Names near the patient come from the registry once the subspecialty is known (directory.py).
NEARBY_BUTTON = {"title": "Find radiologists near me", "payload": "/find_nearby"}


class ActionSuggestSubspecialist(Action):
    """Journey 3: which kind of radiologist should read this exam, and where to look."""

    def name(self) -> str:
        return "action_suggest_subspecialist"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        suggestion = subspecialty.suggest_subspecialty(
            slot_text(tracker, "exam_type"),
            slot_text(tracker, "body_part"),
            slot_text(tracker, "age_group"),
        )
        dispatcher.utter_message(text=suggestion.as_text(), buttons=[NEARBY_BUTTON])
        found = programs.programs_for(suggestion.key)
        if found:
            dispatcher.utter_message(text=programs.format_programs(found))
        return [SlotSet("suggested_subspecialty", suggestion.key)]


INSURANCE_SLOTS = ("plan_type", "physician_requested", "surgery_planned", "in_network")


class ActionInsuranceAnswer(Action):
    """Journey 4: what coverage is likely and exactly what to ask the insurer."""

    def name(self) -> str:
        return "action_insurance_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        answers: dict[str, Any] = {slot: slot_text(tracker, slot) for slot in INSURANCE_SLOTS}
        advice = insurance.advise_insurance(**answers)
        dispatcher.utter_message(text=advice.as_text())
        # The answers go to the case.
        return [SlotSet("insurance_answers", answers)]
