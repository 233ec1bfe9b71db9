"""Form validation: every answer goes through a tolerant parser from bot.guidance.

A canonical value (from a button) and free text ("a cat scan of my belly") both work. An answer
the parser cannot place is refused with its `utter_explain_<slot>` response, and the form asks
again.
A question asked instead of an answer ("do I need a referral?") is not a bad answer: it gets a
short reply on its topic (bot.guidance.questions), and the form asks its question again.

Nothing the patient already said is asked again: before each question, the `extract_<slot>`
methods fill a slot from what the latest message states (it may change an earlier answer) or,
when the slot is still empty, from what the conversation stated before (bot.guidance.situation).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.form_validation import FormValidation
from bot.actions.slots import first_text, said_now, said_so_far, slot_text
from bot.guidance import insurance, parsing, questions

Parser = Callable[[str | None], str | None]

# Which parser turns an answer into the canonical value for each slot.
PARSERS: dict[str, Parser] = {
    "exam_type": parsing.parse_exam_type,
    "body_part": parsing.parse_body_part,
    "situation": parsing.parse_situation,
    "age_group": parsing.parse_age_group,
    "plan_type": parsing.parse_plan_type,
    "physician_requested": parsing.parse_physician_request,
    "surgery_planned": parsing.parse_yes_no,
    "in_network": parsing.parse_yes_no,
}
# Slots whose parsers find an answer in almost any sentence ("myself" is an adult, "don't" a
# no): a question there is never read as the answer unless it starts with one ("yes, but...?").
GENEROUS_PARSERS = frozenset({"age_group", "physician_requested", "surgery_planned", "in_network"})

# Re-prompts after an answer we could not use: say what kind of answer helps (domain.yml).
EXPLANATIONS: dict[str, str] = {
    "exam_type": "utter_explain_exam_type",
    "body_part": "utter_explain_body_part",
    "situation": "utter_explain_situation",
    "age_group": "utter_explain_age_group",
    "plan_type": "utter_explain_plan_type",
    "physician_requested": "utter_explain_physician_requested",
    "surgery_planned": "utter_explain_surgery_planned",
    "in_network": "utter_explain_in_network",
}
EXPLAINED = frozenset(EXPLANATIONS.values())


def explained_before(tracker: Tracker, response: str) -> int:
    """How often this explanation was already given since the form started (Rasa records the
    response's name with each message it sends, as `utter_action` in the metadata)."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") == "active_loop" and event.get("name"):
            break
        metadata = event.get("metadata") or {}
        if event.get("event") == "bot" and metadata.get("utter_action") == response:
            count += 1
    return count


def _entity_now(tracker: Tracker, slot: str) -> bool:
    """Whether the NLU found an entity for this slot in the latest message."""
    entities = tracker.latest_message.get("entities") or []
    return any(entity.get("entity") == slot for entity in entities)


class ParsedSlotsForm(FormValidation, ABC):
    """Shared validation for our forms: parse, accept, or explain and ask again."""

    @abstractmethod
    def name(self) -> str:
        """Abstract, so that the action server does not register this base class."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        # An emergency fills nothing, even when it names an exam or a body part ("MRI. wait, his
        # face is drooping"): Rasa then rejects the form and the red_flag rule answers first.
        if (tracker.latest_message.get("intent") or {}).get("name") == "red_flag":
            return []
        before = len(dispatcher.messages)
        events = list(await super().run(dispatcher, tracker, domain))
        explained = [m.get("response") for m in dispatcher.messages[before:]]
        if any(explained_before(tracker, name) >= 2 for name in explained if name in EXPLAINED):
            # The third miss on the same question: a way out, as financial-demo offers one.
            dispatcher.utter_message(response="utter_way_out")
        return events

    def explain_slot(self, slot: str, dispatcher: CollectingDispatcher) -> None:
        # Per-slot hook in the spirit of financial-demo's explain_<slot>.
        explain = getattr(self, f"explain_{slot}", None)
        if callable(explain):
            explain(dispatcher)
        else:
            dispatcher.utter_message(response=EXPLANATIONS[slot])

    def parse_answer(
        self, slot: str, value: Any, dispatcher: CollectingDispatcher
    ) -> dict[str, Any]:
        text = first_text(value)
        reply = questions.question_reply(text)
        known_topic = reply not in (None, questions.GENERIC_REPLY)
        if reply is not None and not questions.starts_with_answer(text):
            parsed = None if slot in GENEROUS_PARSERS else PARSERS[slot](text)
            if parsed is None or known_topic:
                dispatcher.utter_message(response=reply)
            return {slot: parsed}
        if known_topic:  # "yes, but do I need a referral?": the answer, and a reply
            dispatcher.utter_message(response=reply)
        parsed = PARSERS[slot](text)
        if parsed is None and text is not None:
            self.explain_slot(slot, dispatcher)
        return {slot: parsed}

    def prefill(self, slot: str, tracker: Tracker) -> dict[str, Any]:
        """The slot from what the patient stated, unless it is the question just answered."""
        if tracker.get_slot("requested_slot") == slot:
            return {}  # the answer goes through validate_<slot>
        # A value the parser cannot place (an NLU entity like "insurance") is not an answer:
        # it gives way to what was said, and when the form starts it is dropped, so that the
        # question is asked plainly instead of being refused.
        raw = slot_text(tracker, slot)
        current = PARSERS[slot](raw)
        stated = said_now(tracker).get(slot)
        if stated is not None and stated != current:
            return {slot: stated}
        if current is None and slot != "situation":
            earlier = said_so_far(tracker).get(slot)
            if earlier is not None:
                return {slot: earlier}
            if raw is not None and not tracker.active_loop_name:
                return {slot: None}
        return {}

    async def extract_exam_type(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.prefill("exam_type", tracker)

    async def extract_body_part(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.prefill("body_part", tracker)

    async def validate_exam_type(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        # "PET/CT" gives two exam entities and Rasa keeps the last: read the whole message.
        whole = said_now(tracker).exam_type
        return {"exam_type": whole} if whole else self.parse_answer("exam_type", value, dispatcher)

    async def validate_body_part(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.parse_answer("body_part", value, dispatcher)


class ValidateWorthwhileForm(ParsedSlotsForm):
    def name(self) -> str:
        return "validate_worthwhile_form"

    async def extract_situation(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        # The reason given earlier still holds; only the latest message may change it.
        prefilled = self.prefill("situation", tracker)
        reason = slot_text(tracker, "second_opinion_reason")
        if not prefilled and slot_text(tracker, "situation") is None and reason:
            return {"situation": reason}
        return prefilled

    async def validate_situation(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.parse_answer("situation", value, dispatcher)


class ValidateSubspecialistForm(ParsedSlotsForm):
    def name(self) -> str:
        return "validate_subspecialist_form"

    async def extract_age_group(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.prefill("age_group", tracker)

    async def validate_age_group(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.parse_answer("age_group", value, dispatcher)


class ValidateInsuranceForm(ParsedSlotsForm):
    def name(self) -> str:
        return "validate_insurance_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        # Without insurance the answer needs nothing else; Original Medicare has no network.
        plan = first_text(tracker.get_slot("plan_type"))
        if not insurance.needs_coverage_questions(plan):
            return ["plan_type"]
        if plan is not None and not insurance.needs_network_question(plan):
            return [slot for slot in domain_slots if slot != "in_network"]
        return domain_slots

    async def extract_plan_type(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        prefilled = self.prefill("plan_type", tracker)
        asked = tracker.get_slot("requested_slot") == "plan_type"
        stated = said_now(tracker).plan_type
        if prefilled or asked or stated or not _entity_now(tracker, "plan_type"):
            return prefilled
        # Rasa filled it from an entity the message does not state ("will my insurance pay or
        # is it out of pocket?"): what was said before stands, else the question is asked.
        return {"plan_type": said_so_far(tracker).plan_type}

    async def extract_physician_requested(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.prefill("physician_requested", tracker)

    async def extract_surgery_planned(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.prefill("surgery_planned", tracker)

    async def extract_in_network(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.prefill("in_network", tracker)

    async def validate_plan_type(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.parse_answer("plan_type", value, dispatcher)

    async def validate_physician_requested(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.parse_answer("physician_requested", value, dispatcher)

    async def validate_surgery_planned(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.parse_answer("surgery_planned", value, dispatcher)

    async def validate_in_network(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self.parse_answer("in_network", value, dispatcher)
