"""Red flags on every message: the keyword safety net overrides the NLU's intent.

DIET classifies what a message is about; a patient who types "his face is sagging" as the
answer to the name question, or "no reason to keep going" in the middle of the insurance
questions, is read as a bad name or an unclear answer. This component runs after the
FallbackClassifier on every message and, when `bot.guidance.red_flags.detect_red_flags` finds an
emergency, sets the intent to `red_flag` with confidence 1.0 (the NLU's own guesses stay in the
ranking below it). The rules for `red_flag` then give emergency guidance first, inside any form
and on any slot, and end the form; `red_flag` is one of the intents that never fill a slot.

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

from bot.guidance.red_flags import detect_red_flags

RED_FLAG_INTENT = "red_flag"


def override(message_data: dict[str, Any], text: str | None) -> bool:
    """Set `red_flag` as the intent of a parsed message when the net fires; True if it did."""
    if not text or text.startswith("/") or not detect_red_flags(text):
        return False
    top = {"name": RED_FLAG_INTENT, "confidence": 1.0}
    ranking = [
        r for r in (message_data.get("intent_ranking") or []) if r.get("name") != RED_FLAG_INTENT
    ]
    message_data["intent"] = top
    message_data["intent_ranking"] = [dict(top), *ranking]
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
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            override(message.data, message.get("text"))
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
