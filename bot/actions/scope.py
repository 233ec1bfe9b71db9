"""Out of scope: refuse only what is clearly not ours; when unsure, ask which topic it is.

The NLU says out_of_scope for some questions the bot exists for ("what's a PACS link?"). A
message that names our subjects (a scan, a report, images, a second read, insurance) or that the
NLU is not sure about gets the topics as buttons instead of a refusal; "Something else" among
them is a sure out_of_scope, which gets the refusal.

Asked what a finding means, the bot says it cannot interpret; when the same message also asks
whether a second read is worth it, that question is answered too (the worthwhile form starts).
"""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.slots import latest_text
from bot.guidance.questions import asks_for_a_second_read, mentions_our_subjects

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


class ActionDisclaimer(Action):
    """No interpretation; then the second-read question of the same message, if it has one."""

    def name(self) -> str:
        return "action_disclaimer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_disclaimer")
        if asks_for_a_second_read(latest_text(tracker)):
            return [FollowupAction("worthwhile_form")]
        return []
