"""Red flags, misunderstandings and the way to a person."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.slots import latest_text
from bot.guidance import red_flags
from bot.guidance.questions import fallback_route


def emergency_events(tracker: Tracker, dispatcher: CollectingDispatcher) -> list[EventType]:
    """Emergency guidance for every emergency in the message; the slot keeps the first one."""
    categories = [flag.category for flag in red_flags.detect_red_flags(latest_text(tracker))]
    # Not a domain response: the Telegram bridge sends the same text (red_flags.py says why).
    dispatcher.utter_message(text=red_flags.emergency_guidance(categories))
    return [SlotSet("red_flag_category", categories[0] if categories else "unspecified")]


class ActionEmergencyGuidance(Action):
    """Emergency symptoms: send people to emergency care first, whatever else was going on."""

    def name(self) -> str:
        return "action_emergency_guidance"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if name_that_sounds_like_a_symptom(tracker):
            # "Grace Faint" typed at the name question: the NLU hears "faint", the keyword net
            # finds no emergency. Keep the name and let the case form ask its next question.
            return [SlotSet("full_name", latest_text(tracker).strip()), FollowupAction("case_form")]
        return emergency_events(tracker, dispatcher)


def name_that_sounds_like_a_symptom(tracker: Tracker) -> bool:
    """The case form asked for a name and the answer reads as one, with no emergency in it."""
    text = latest_text(tracker)
    return (
        (tracker.active_loop or {}).get("name") == "case_form"
        and tracker.get_slot("requested_slot") == "full_name"
        and red_flags.reads_as_a_name(text)
        and not red_flags.detect_red_flags(text)
    )


def consecutive_misses(tracker: Tracker) -> int:
    """How many of the latest user messages in a row the NLU could not place."""
    misses = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        intent = (event.get("parse_data") or {}).get("intent") or {}
        if intent.get("name") != "nlu_fallback":
            break
        misses += 1
    return misses


class ActionFallback(Action):
    """Ask to rephrase; after two misses in a row offer a person. Red flags are checked first,
    and a message that asks whether a second read is worth it starts that journey."""

    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        # Safety net (also run on every message inside Rasa, bot/rasa_ext/red_flags.py): an
        # emergency the NLU was unsure about still gets emergency guidance.
        # Like Rasa's default fallback, the misunderstood message is taken back (the patient's
        # words stay in the history): otherwise, when no policy is sure what follows an intent,
        # the core fallback would run this action again and again in the same turn.
        if red_flags.detect_red_flags(latest_text(tracker)):
            return [UserUtteranceReverted(), *emergency_events(tracker, dispatcher)]
        route = fallback_route(latest_text(tracker))
        if route == "utter_disclaimer":
            # "The report mentions an old infarct. What is that?": never interpreted.
            dispatcher.utter_message(response="utter_disclaimer")
            return [UserUtteranceReverted()]
        if route is not None:
            # "The report says the finding is indeterminate. Should someone else read it?": the
            # statement drowns the question for the NLU, but the question is the one we answer.
            return [FollowupAction(route)]
        if consecutive_misses(tracker) >= 2:
            dispatcher.utter_message(response="utter_offer_handoff")
            return [UserUtteranceReverted()]
        dispatcher.utter_message(response="utter_please_rephrase")
        return [UserUtteranceReverted()]


class ActionHandoff(Action):
    """Record a request for a person; the staff console lists conversations with this slot set."""

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_handoff")
        return [SlotSet("handoff_requested", True)]
