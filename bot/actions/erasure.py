"""\"Delete my data\": after a confirmation bound to that question, everything the conversation
stored goes (case, contact details, files, letters, and the conversation itself)."""

from __future__ import annotations

import asyncio

from rasa_sdk import Action, Tracker
from rasa_sdk.events import AllSlotsReset, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.cases import answers_stale
from bot.cases import StorageUnavailable
from bot.cases.runtime import case_service
from bot.config import Settings
from bot.guidance import confirmations
from bot.letters.store import remove_letter
from bot.storage import remove_stored_file

# The tracker store (bot/rasa_ext/erasing_tracker_store.py) sees this slot set in the turn's
# events and deletes the conversation's stored events when Rasa saves the turn.
ERASURE_SLOT = "personal_data_erased"


class ActionDeleteMyData(Action):
    def name(self) -> str:
        return "action_delete_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if answers_stale(tracker, confirmations.DELETE, dispatcher):
            # Ask again; its rules then take the next yes or no as before.
            return [FollowupAction("utter_confirm_delete")]
        try:
            report = await asyncio.to_thread(
                case_service().delete_patient_data, tracker.sender_id, remove_stored_file
            )
        except StorageUnavailable:
            dispatcher.utter_message(response="utter_delete_failed")
            return []
        remove_letter(Settings.load(), tracker.sender_id)
        dispatcher.utter_message(
            response="utter_deleted_case" if report.cases else "utter_deleted_details"
        )
        # The marker comes last: only what follows it in this turn is stored.
        return [AllSlotsReset(), SlotSet(ERASURE_SLOT, True)]
