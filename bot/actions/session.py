"""A new session keeps only what is not personal.

Rasa starts a new session after 120 minutes of silence (domain.yml `session_config`). Rasa's
own `action_session_start` would carry every slot over, including the name, date of birth and
contact the case form asked for. This one carries an allow-list: the answers about the scan,
the situation and the insurance (so the patient need not repeat them), the case number (a
random reference; the case itself is found by the conversation) and the upload ids already
reported. Everything else (name, date of birth, contact, consent and confirmation answers, the
status-lookup answers, red-flag and hand-off markers, form state) starts empty.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

CARRIED_OVER_SLOTS = frozenset(
    {
        "exam_type",
        "body_part",
        "situation",
        "age_group",
        "plan_type",
        "physician_requested",
        "surgery_planned",
        "in_network",
        "second_opinion_reason",
        "insurance_answers",
        "suggested_subspecialty",
        "case_number",
        "reported_upload_ids",
    }
)
# Never carried, whatever the allow-list says: a test checks the two lists do not meet.
PERSONAL_SLOTS = frozenset(
    {
        "full_name",
        "date_of_birth",
        "contact",
        "contact_email",
        "contact_phone",
        "lookup_case_number",
        "lookup_date_of_birth",
    }
)


def carried_slots(slots: dict[str, Any]) -> list[EventType]:
    return [
        SlotSet(name, value)
        for name, value in sorted(slots.items())
        if name in CARRIED_OVER_SLOTS and name not in PERSONAL_SLOTS and value is not None
    ]


class ActionSessionStart(Action):
    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        # SessionStarted first: Rasa resets the slots there, then the carried ones are set.
        return [SessionStarted(), *carried_slots(tracker.slots), ActionExecuted("action_listen")]
