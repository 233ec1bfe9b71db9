"""Details typed together with a question fill the slot the question's form would ask for.

`action_read_case_number` is a custom slot mapping of `lookup_case_number` (domain.yml), run
by Rasa for a `check_case_status` message: "what's the status of SR-2026-7KQ3MX-4?" fills the
slot before the case-status form starts, so the form validates it instead of asking for it.
"""

from __future__ import annotations

import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.actions.slots import latest_text
from bot.cases import normalize_case_number

# The shape of a case number inside a sentence: optional SR, the year, 6 symbols, 1 check symbol,
# with the separators people type. The form's validator checks the check symbol.
_CANDIDATE = re.compile(
    r"(?<![0-9A-Za-z])(?:SR[\s\-_.]*)?20\d\d[\s\-_.]*[0-9A-Za-z]{6}[\s\-_.]*[0-9A-Za-z](?![0-9A-Za-z])",
    re.IGNORECASE,
)


def case_number_in(text: str) -> str | None:
    """The first case-number-shaped part of a message, in canonical form; None if none."""
    for match in _CANDIDATE.finditer(text):
        number = normalize_case_number(match.group(0))
        if number is not None:
            return number
    return None


class ActionReadCaseNumber(Action):
    def name(self) -> str:
        return "action_read_case_number"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        number = case_number_in(latest_text(tracker))
        return [SlotSet("lookup_case_number", number)] if number else []
