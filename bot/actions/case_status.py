"""A patient checks their case's status: case number and date of birth, both needed; the same
words for any mismatch, and lookups limited per conversation, address and case
(bot/cases/lookup_limits.py)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from datetime import UTC, date, datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.cases import asked_instead, birth_date_answer
from bot.actions.form_validation import FormValidation
from bot.actions.slots import first_text, slot_text
from bot.cases import LookupOutcome, StorageUnavailable, is_valid_case_number, normalize_case_number
from bot.cases.runtime import case_service
from bot.config import Settings


class ValidateCaseStatusForm(FormValidation):
    def name(self) -> str:
        return "validate_case_status_form"

    async def validate_lookup_case_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = first_text(value) or ""
        # The check symbol catches typos here, before any lookup counts as an attempt.
        number = normalize_case_number(text) if is_valid_case_number(text) else None
        if number is None and asked_instead(text, dispatcher):
            return {"lookup_case_number": None}
        if number is None:
            dispatcher.utter_message(response="utter_explain_lookup_case_number")
        return {"lookup_case_number": number}

    async def validate_lookup_date_of_birth(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        born = birth_date_answer(value)
        if born is None and asked_instead(first_text(value), dispatcher):
            return {"lookup_date_of_birth": None}
        if born is None:
            dispatcher.utter_message(response="utter_explain_lookup_date_of_birth")
        return {"lookup_date_of_birth": born}


def client_ref(tracker: Tracker) -> str | None:
    """A keyed hash of the client's address when the channel put one in the message metadata
    (`client_address`), so lookups can be limited per address without storing it."""
    metadata = tracker.latest_message.get("metadata") or {}
    address = metadata.get("client_address") if isinstance(metadata, dict) else None
    if not isinstance(address, str) or not address:
        return None
    key = Settings.load().secret_key.encode()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:32]


class ActionCaseStatus(Action):
    """Answers only when number and birth date both match; the same words for any mismatch."""

    def name(self) -> str:
        return "action_case_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reset: list[EventType] = [
            SlotSet("lookup_case_number", None),
            SlotSet("lookup_date_of_birth", None),
        ]
        try:
            result = await asyncio.to_thread(
                case_service().lookup_status,
                tracker.sender_id,
                slot_text(tracker, "lookup_case_number") or "",
                date.fromisoformat(slot_text(tracker, "lookup_date_of_birth") or ""),
                datetime.now(UTC),
                client_ref(tracker),
            )
        except StorageUnavailable:
            dispatcher.utter_message(response="utter_case_status_unavailable")
            return reset
        if result.outcome is LookupOutcome.FOUND and result.updated_at:
            dispatcher.utter_message(
                response="utter_case_status",
                number=result.case_number,
                status=result.status_description,
                updated=result.updated_at.date().isoformat(),
            )
        elif result.outcome is LookupOutcome.FOUND:
            dispatcher.utter_message(
                response="utter_case_status_undated",
                number=result.case_number,
                status=result.status_description,
            )
        elif result.outcome is LookupOutcome.RATE_LIMITED:
            dispatcher.utter_message(response="utter_case_lookup_rate_limited")
        elif result.outcome is LookupOutcome.CASE_LOCKED:
            dispatcher.utter_message(response="utter_case_lookup_locked")
        elif result.attempts_left == 1:
            dispatcher.utter_message(response="utter_case_not_found_last_try")
        else:
            dispatcher.utter_message(
                response="utter_case_not_found", tries=result.attempts_left or 0
            )
        return reset


