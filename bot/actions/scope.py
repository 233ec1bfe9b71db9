"""Out of scope: refuse only what is clearly not ours; when unsure, ask which topic it is.

The NLU says out_of_scope for some questions the bot exists for ("what's a PACS link?"). A
message that names our subjects (a scan, a report, images, a second read, insurance) or that the
NLU is not sure about gets the topics as buttons instead of a refusal; "Something else" among
them is a sure out_of_scope, which gets the refusal.
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.slots import latest_text
from bot.guidance.questions import mentions_our_subjects

# Below this the NLU is "not sure": checked on the held-out set, everyday requests ("what's the
# weather tomorrow", "recommend me a pizza place") come out at 0.99 or more.
SURE = 0.9


class ActionOutOfScope(Action):
    def name(self) -> str:
        return "action_out_of_scope"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        text = latest_text(tracker)
        intent = tracker.latest_message.get("intent") or {}
        confidence = float(intent.get("confidence") or 0.0)
        if text.startswith("/") or (confidence >= SURE and not mentions_our_subjects(text)):
            dispatcher.utter_message(response="utter_out_of_scope")
        else:
            dispatcher.utter_message(response="utter_ask_which_topic")
        return []
