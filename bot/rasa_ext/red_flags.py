"""Red flags on every message: the keyword safety net overrides the NLU's intent.

DIET classifies what a message is about; a patient who types "his face is sagging" as the
answer to the name question, or "no reason to keep going" in the middle of the insurance
questions, is read as a bad name or an unclear answer. This component runs after the
FallbackClassifier on every message and, when `bot.guidance.red_flags.detect_red_flags` finds an
emergency, sets the intent to `red_flag` with confidence 1.0 (the NLU's own guesses stay in the
ranking below it). The rules for `red_flag` then give emergency guidance first, inside any form
and on any slot, and end the form; `red_flag` is one of the intents that never fill a slot.

The other way round, when DIET says `red_flag` only because of emergency words that the message
itself says are not happening now ("I'm not suicidal, just frustrated", "a CT for chest pain last
spring", "my hand has been numb for 6 months"; `only_mentions_emergency_signs`), the net's guards
win: the next intent in DIET's ranking is taken, with its share of the confidence left once the
emergency is ruled out, or `nlu_fallback` when that is below the fallback threshold. Nothing is
demoted when the message also says now, again or suddenly.

Messages that are button payloads ("/inform{...}") are left alone: Rasa parses those itself.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent  # type: ignore[import-not-found]
from rasa.engine.recipes.default_recipe import DefaultV1Recipe  # type: ignore[import-not-found]
from rasa.engine.storage.resource import Resource  # type: ignore[import-not-found]
from rasa.engine.storage.storage import ModelStorage  # type: ignore[import-not-found]
from rasa.shared.nlu.training_data.message import Message  # type: ignore[import-not-found]
from rasa.shared.nlu.training_data.training_data import (  # type: ignore[import-not-found]
    TrainingData,
)

from bot.guidance.red_flags import detect_red_flags, only_mentions_emergency_signs

RED_FLAG_INTENT = "red_flag"
FALLBACK_INTENT = "nlu_fallback"
# The FallbackClassifier's threshold in config.yml (this component's `threshold` setting).
DEFAULT_THRESHOLD = 0.5


def override(
    message_data: dict[str, Any], text: str | None, threshold: float = DEFAULT_THRESHOLD
) -> bool:
    """Set `red_flag` as the intent of a parsed message when the net fires, or demote a
    `red_flag` the message itself rules out; True if the intent changed."""
    if not text or text.startswith("/"):
        return False
    if not detect_red_flags(text):
        return _demote(message_data, text, threshold)
    top = {"name": RED_FLAG_INTENT, "confidence": 1.0}
    ranking = [
        r for r in (message_data.get("intent_ranking") or []) if r.get("name") != RED_FLAG_INTENT
    ]
    message_data["intent"] = top
    message_data["intent_ranking"] = [dict(top), *ranking]
    return True


def _demote(message_data: dict[str, Any], text: str, threshold: float) -> bool:
    intent = message_data.get("intent") or {}
    if intent.get("name") != RED_FLAG_INTENT or not only_mentions_emergency_signs(text):
        return False
    others = [
        r
        for r in (message_data.get("intent_ranking") or [])
        if r.get("name") not in (RED_FLAG_INTENT, FALLBACK_INTENT)
    ]
    # DIET's confidences share 1 among the intents: once the emergency is ruled out, the next
    # intent's confidence is its share of what is left ("no dark thoughts, I'm just sick of the
    # hospital stalling": red_flag 0.87, and most of the other 0.13 is records_delay).
    red = next(
        (float(r.get("confidence") or 0.0) for r in message_data.get("intent_ranking") or []
         if r.get("name") == RED_FLAG_INTENT),
        float(intent.get("confidence") or 0.0),
    )
    best = dict(others[0]) if others else None
    if best is not None and red < 1.0:
        best["confidence"] = min(1.0, float(best.get("confidence") or 0.0) / (1.0 - red))
    if best is None or best["confidence"] < threshold:
        best, rest = {"name": FALLBACK_INTENT, "confidence": threshold}, others
    else:
        rest = others[1:]
    message_data["intent"] = dict(best)
    message_data["intent_ranking"] = [dict(best), *rest]
    return True


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class RedFlagOverride(GraphComponent):  # type: ignore[misc]
    """After the NLU (and its fallback), an emergency found by the net wins."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RedFlagOverride:
        return cls(float(config.get("threshold", DEFAULT_THRESHOLD)))

    def __init__(self, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.threshold = threshold

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            override(message.data, message.get("text"), self.threshold)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
