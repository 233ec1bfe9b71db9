"""The question at the end of a long message wins over the statement before it.

"My grandmother is 90 and had a CT of her lungs last month. What do we do so another radiologist
looks at it?" reads to DIET as details (`inform`) or as a neighbouring records question, and the
question is lost ("Thanks, I've noted that"). This component runs after the red-flag override
and, when the NLU chose an intent that does not answer a question (`inform`, `nlu_fallback`,
`dont_know`, `out_of_scope`), or a records intent for a "write it for me" request, and
`bot.guidance.questions.fallback_route` finds one of our questions in the message, sets the
intent that starts that journey: write the records request, the insurance questions, which kind
of radiologist, is a second read worth it, or the no-interpretation answer. A statement or an
unread message that says the center sent the wrong thing ("the hospital emailed us JPG pictures",
"a CD but no report": `bot.guidance.deliveries`) becomes
`records_delay`, whose answer is the note asking for what is missing. A question about getting
the images out of where they are ("how do I get my scans out of the hospital so another
radiologist can see them", read as "is a second read worth it") becomes `request_records`. The
NLU's ranking stays below it. Emergencies, button payloads and every other intent are left alone.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent  # type: ignore[import-not-found]
from rasa.engine.recipes.default_recipe import DefaultV1Recipe  # type: ignore[import-not-found]
from rasa.engine.storage.resource import Resource  # type: ignore[import-not-found]
from rasa.engine.storage.storage import ModelStorage  # type: ignore[import-not-found]
from rasa.shared.nlu.training_data.message import Message  # type: ignore[import-not-found]
from rasa.shared.nlu.training_data.training_data import (  # type: ignore[import-not-found]
    TrainingData,
)

from bot.guidance.deliveries import missing_from_delivery
from bot.guidance.questions import asks_how_to_get_the_images, fallback_route

# The intent that starts each journey fallback_route names.
INTENT_FOR = {
    "letter_form": "request_letter",
    "insurance_form": "ask_insurance",
    "subspecialist_form": "find_subspecialist",
    "worthwhile_form": "ask_worthwhile",
    "utter_disclaimer": "ask_diagnosis",
}
# Intents a question may hide behind: statements and "not understood" (any journey), and the
# records intents, whose only neighbour is "write it for me" (a records question that names
# "another doctor" is still a records question).
ROUTABLE = {
    "inform": None, "nlu_fallback": None, "dont_know": None, "out_of_scope": None,
    "records_delay": {"request_letter"}, "request_records": {"request_letter"},
    # A long story of two reads, ending "...would blue cross pay for another radiologist?":
    # the insurance question asked, not whether a second read is worth it or who reads it. And
    # "how do I get my scans out of the hospital so another radiologist can see them": records.
    "ask_worthwhile": {"ask_insurance", "request_records"},
    "find_subspecialist": {"ask_insurance", "request_records"},
}
# ...but a second-read question that says nothing about getting the records ("the ER doctor
# barely looked at my CT, can somebody else check it?") is not a records question.
RECORDS_TALK = re.compile(
    r"\b(?:files?|cop(?:y|ies)|records?|sen(?:d|t|ding) (?:my|the|them|it|over|a)|cd|disc|dvd|"
    r"usb|portal|request\w*|"
    r"release\w*|ask (?:the|them|for)|get (?:my|the|his|her|them))\b",
    re.IGNORECASE,
)
RECORDS_INTENTS = ("records_delay", "request_records")
# Where a wrong delivery may hide: not understood, or read as out of scope. (Not `inform`: in a
# form, "the CD had no report" may well be the answer asked for.)
DELIVERY_HIDES_IN = ("nlu_fallback", "out_of_scope")


def route(message_data: dict[str, Any], text: str | None) -> bool:
    """Set the journey's intent when the message asks one of our questions; True if changed."""
    if not text or text.startswith("/"):
        return False
    intent = (message_data.get("intent") or {}).get("name")
    if intent not in ROUTABLE:
        return False
    journey = fallback_route(text)
    wanted = INTENT_FOR.get(journey or "")
    if wanted not in ("request_letter", "ask_insurance") and asks_how_to_get_the_images(text):
        wanted = "request_records"
    if wanted is None and intent in DELIVERY_HIDES_IN and missing_from_delivery(text):
        wanted = "records_delay"
    allowed = ROUTABLE[intent]
    if intent in RECORDS_INTENTS and wanted == "ask_worthwhile" and not RECORDS_TALK.search(text):
        allowed = None
    if wanted is None or wanted == intent or (allowed is not None and wanted not in allowed):
        return False
    top = {"name": wanted, "confidence": 1.0}
    ranking = [r for r in (message_data.get("intent_ranking") or []) if r.get("name") != wanted]
    message_data["intent"] = top
    message_data["intent_ranking"] = [dict(top), *ranking]
    return True


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class QuestionRouter(GraphComponent):  # type: ignore[misc]
    """After the red-flag override: the question a statement hides decides the journey."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> QuestionRouter:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            route(message.data, message.get("text"))
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
