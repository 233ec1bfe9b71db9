"""Consent and opening a case: thin adapters over CaseService. The patient's own lookups are in
bot/actions/case_status.py, "delete my data" in bot/actions/erasure.py.

The service is synchronous (SQLAlchemy), so calls run in a worker thread. A storage error gets
a kind message; the answers stay in the slots, so trying again completes the case.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.form_validation import FormValidation
from bot.actions.slots import first_text, slot_text
from bot.cases import (
    CaseDetails,
    ContactDetails,
    StorageUnavailable,
    parse_date_of_birth,
    parse_email,
    parse_full_name,
    parse_phone,
)
from bot.cases.runtime import case_service
from bot.guidance import confirmations, parsing, questions, subspecialty, vocabulary
from bot.guidance.vocabulary import label

CONSENT_POLICY_VERSION = "2026-11"
# The case summary's buttons name their question (bot/guidance/confirmations.py).
CASE_YES = '/affirm{"confirm":"case"}'
CASE_NO = '/deny{"confirm":"case"}'


def answers_stale(tracker: Tracker, question: str, dispatcher: CollectingDispatcher) -> bool:
    """True (and the patient told so) when the latest message is another question's button."""
    message = tracker.latest_message or {}
    if confirmations.binding(question, message.get("text"), message.get("entities") or []) == (
        "bound"
    ):
        return False
    dispatcher.utter_message(response="utter_stale_answer")
    return True


def value_before_this_message(tracker: Tracker, slot: str) -> Any:
    """The slot's value before the latest user message (resets and restarts included)."""
    value: Any = None
    latest_user = max(
        (i for i, event in enumerate(tracker.events) if event.get("event") == "user"), default=-1
    )
    for event in tracker.events[: max(latest_user, 0)]:
        kind = event.get("event")
        if kind == "slot" and event.get("name") == slot:
            value = event.get("value")
        elif kind in ("reset_slots", "restart", "session_started"):
            value = None
    return value


def channel_of(tracker: Tracker) -> str:
    return str(tracker.get_latest_input_channel() or "unknown")


def today() -> date:
    return datetime.now(UTC).date()


def asked_instead(text: str | None, dispatcher: CollectingDispatcher) -> bool:
    """A question asked instead of the answer ("who will see this?") gets a short reply on its
    topic (bot.guidance.questions) and the form asks again; True when that happened."""
    reply = questions.question_reply(text)
    if reply is None or questions.starts_with_answer(text):
        return False
    dispatcher.utter_message(response=reply)
    return True


def birth_date_answer(value: Any) -> str | None:
    """A real date of birth in the past, as ISO text for the slot; None when it is not one."""
    born = parse_date_of_birth(first_text(value) or "", today())
    return born.isoformat() if born else None


class ValidateCaseForm(FormValidation):
    """Consent first; then name, date of birth and one way to reach the patient; then a summary."""

    def name(self) -> str:
        return "validate_case_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        # Without consent nothing personal is asked for: the form ends after that answer.
        if slot_text(tracker, "case_consent") == "no":
            return ["case_consent"]
        return domain_slots

    async def validate_case_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value == "yes" and value_before_this_message(tracker, "case_consent") == "yes":
            # Given (and recorded) in an earlier turn: the form revalidates it when it starts
            # again, which is no new answer to anything.
            return {"case_consent": "yes"}
        if answers_stale(tracker, confirmations.CONSENT, dispatcher):
            return {"case_consent": None}  # the form asks the consent question again
        answer = parsing.parse_yes_no(first_text(value))
        if answer not in ("yes", "no"):
            dispatcher.utter_message(response="utter_explain_case_consent")
            return {"case_consent": None}
        try:
            await asyncio.to_thread(
                case_service().record_consent,
                tracker.sender_id,
                channel_of(tracker),
                answer == "yes",
                CONSENT_POLICY_VERSION,
            )
        except StorageUnavailable:
            dispatcher.utter_message(response="utter_details_not_saved")
            return {"case_consent": None}
        if answer == "no":
            dispatcher.utter_message(response="utter_consent_declined")
        return {"case_consent": answer}

    async def validate_full_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = first_text(value) or ""
        name = parse_full_name(text)
        # "Will Smith" starts like a question; only a name that cannot be read, or one that ends
        # with "?", is a question asked instead of the answer.
        if (name is None or text.rstrip().endswith("?")) and asked_instead(text, dispatcher):
            return {"full_name": None}
        if name is None:
            dispatcher.utter_message(response="utter_explain_full_name")
        return {"full_name": name}

    async def validate_date_of_birth(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        born = birth_date_answer(value)
        if born is None and asked_instead(first_text(value), dispatcher):
            return {"date_of_birth": None}
        if born is None:
            dispatcher.utter_message(response="utter_explain_date_of_birth")
        return {"date_of_birth": born}

    async def validate_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = first_text(value) or ""
        email, phone = parse_email(text), parse_phone(text)
        if not (email or phone) and asked_instead(text, dispatcher):
            return {"contact": None}
        if not (email or phone):
            dispatcher.utter_message(response="utter_explain_contact")
            return {"contact": None}
        return {"contact": email or phone, "contact_email": email, "contact_phone": phone}

    async def validate_case_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if answers_stale(tracker, confirmations.CASE, dispatcher):
            return {"case_confirmed": None}  # the form shows the summary again
        answer = parsing.parse_yes_no(first_text(value))
        if answer == "yes":
            return {"case_confirmed": "yes"}
        if answer == "no":
            dispatcher.utter_message(response="utter_correct_case_details")
            return {
                "case_confirmed": None,
                "full_name": None,
                "date_of_birth": None,
                "contact": None,
                "contact_email": None,
                "contact_phone": None,
            }
        dispatcher.utter_message(response="utter_explain_case_confirmed")
        return {"case_confirmed": None}


def friendly_date(iso: str | None) -> str:
    """1975-07-04 → July 4, 1975 (US patients read month first)."""
    if not iso:
        return "not given"
    day = date.fromisoformat(iso)
    return f"{day:%B} {day.day}, {day.year}"


def case_summary_lines(tracker: Tracker) -> list[str]:
    exam = vocabulary.describe_scan(
        slot_text(tracker, "exam_type"), slot_text(tracker, "body_part")
    )
    reason = slot_text(tracker, "second_opinion_reason")
    specialty = slot_text(tracker, "suggested_subspecialty")
    insurance_answers = tracker.get_slot("insurance_answers") or {}
    plan = insurance_answers.get("plan_type") if isinstance(insurance_answers, dict) else None
    return [
        f"- Name: {slot_text(tracker, 'full_name')}",
        f"- Date of birth: {friendly_date(slot_text(tracker, 'date_of_birth'))}",
        f"- Contact: {slot_text(tracker, 'contact')}",
        f"- Exam: {exam}",
        f"- Reason: {label(vocabulary.SITUATIONS, reason) if reason else 'not given'}",
        f"- Suggested reader: "
        f"{subspecialty.subspecialty_label(specialty) if specialty else 'not chosen yet'}",
        f"- Coverage: {label(vocabulary.PLAN_TYPES, plan) if plan else 'not given'}",
    ]


class ActionAskCaseConfirmed(Action):
    """Shows everything the case will hold before it is created."""

    def name(self) -> str:
        return "action_ask_case_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = "\n".join(
            [
                "Here's what I'll send to our team:",
                *case_summary_lines(tracker),
                "Shall I open your case?",
            ]
        )
        dispatcher.utter_message(
            text=text,
            buttons=[
                {"title": "Yes, open my case", "payload": CASE_YES},
                {"title": "Something's wrong", "payload": CASE_NO},
            ],
        )
        return []


def case_details(tracker: Tracker) -> CaseDetails:
    answers = tracker.get_slot("insurance_answers")
    return CaseDetails(
        exam_type=slot_text(tracker, "exam_type") or "unknown",
        body_part=slot_text(tracker, "body_part") or "unknown",
        reason=slot_text(tracker, "second_opinion_reason") or "",
        suggested_subspecialty=slot_text(tracker, "suggested_subspecialty") or "",
        insurance=dict(answers) if isinstance(answers, dict) else {},
    )


class ActionOpenCase(Action):
    def name(self) -> str:
        return "action_open_case"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if slot_text(tracker, "case_consent") != "yes":
            # Ask again next time: people may change their minds.
            return [SlotSet("case_consent", None)]
        contact = ContactDetails(
            full_name=slot_text(tracker, "full_name") or "",
            date_of_birth=date.fromisoformat(slot_text(tracker, "date_of_birth") or ""),
            email=slot_text(tracker, "contact_email"),
            phone=slot_text(tracker, "contact_phone"),
        )
        try:
            # The slot alone is not proof: only a consent recorded for this conversation (and
            # not withdrawn since) lets personal details be stored.
            consented = await asyncio.to_thread(case_service().has_consent, tracker.sender_id)
            case = None
            if consented:
                case = await asyncio.to_thread(
                    case_service().open_case,
                    tracker.sender_id,
                    channel_of(tracker),
                    contact,
                    case_details(tracker),
                )
        except StorageUnavailable:
            dispatcher.utter_message(response="utter_case_not_opened")
            return [SlotSet("case_confirmed", None)]
        if case is None:
            dispatcher.utter_message(response="utter_case_consent_missing")
            return [SlotSet("case_consent", None), SlotSet("case_confirmed", None)]
        dispatcher.utter_message(
            response="utter_case_opened" if case.newly_opened else "utter_case_already_open",
            number=case.number,
            status=case.status_description,
        )
        # Asking again later shows the summary again and returns the same case.
        return [SlotSet("case_number", case.number), SlotSet("case_confirmed", None)]
