"""What every form's validation does besides checking its own answers.

- It names the form's next question itself. rasa-sdk leaves that to Rasa unless a form
  overrides `required_slots`, and when the validation Rasa runs at a form's activation returns
  no event, Rasa runs it a second time in the same turn (`FormAction.do`): one more round trip
  to the action server for every form that starts.
- It reports files announced in the middle of a form (the upload button, the Telegram bridge, a
  "how do I send the CD?"), then the form asks its question again. Left to Rasa, the form's
  validation would reject the message, a rule would run `action_handle_uploads`, and the form
  would validate again: three calls instead of one, on the turn patients wait longest for.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction
from rasa_sdk.types import DomainDict

from bot.actions.uploads import ActionHandleUploads

UPLOAD_INTENT = "upload_files"


class FormValidation(FormValidationAction, ABC):
    # False where an upload is the answer itself (the report comparison reads a PDF report).
    answers_uploads = True

    @abstractmethod
    def name(self) -> str:
        """Abstract, so that the action server does not register this base class."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if self.answers_uploads and intent == UPLOAD_INTENT and tracker.active_loop_name:
            return await self.report_uploads(dispatcher, tracker, domain)
        return list(await super().run(dispatcher, tracker, domain))

    async def report_uploads(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        events = list(await ActionHandleUploads().run(dispatcher, tracker, domain))
        tracker.add_slots(events)  # the files may have answered a question (exam, body part)
        asked = tracker.get_slot(REQUESTED_SLOT)
        # Rasa rejects a form step that sets none of the form's slots and lets rules answer
        # instead; setting the open question's slot to its own value says "handled, ask again".
        held = [SlotSet(asked, tracker.get_slot(asked))] if asked else []
        next_slot = await self.next_requested_slot(dispatcher, tracker, domain)
        return [*events, *held, *([next_slot] if next_slot else [])]

    async def next_requested_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> EventType | None:
        required = await self.required_slots(
            self.domain_slots(domain), dispatcher, tracker, domain
        )
        missing = (slot for slot in required if tracker.slots.get(slot) is None)
        return SlotSet(REQUESTED_SLOT, next(missing, None))
