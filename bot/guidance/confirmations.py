"""Answers that consent or destroy must belong to the question that asked for them.

A "Yes" button is remembered by the chat app: on Telegram an old keyboard stays pressable long
after its question has passed. If every "Yes" sent the same `/affirm`, an old "Yes, show me the
options" pressed after "Delete everything?" would delete the patient's data. So the buttons of
the three questions that consent or destroy (storing personal details, opening the case,
deleting everything) name their question (`/affirm{"confirm":"delete"}`), and an answer to one
of them counts only when:

- it is a button of that very question, or
- the patient typed it (a typed "yes" answers the question on screen).

A button of another question, or a bare `/affirm` payload that names none, is *stale*: the bot
says that question has passed (domain.yml `utter_stale_answer`) and asks the current one again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

# The questions whose answers consent or destroy; each button's `confirm` entity names one.
CONSENT = "consent"
CASE = "case"
DELETE = "delete"
QUESTIONS = (CONSENT, CASE, DELETE)
ENTITY = "confirm"

Binding = Literal["bound", "stale"]


def binding(question: str, text: str | None, entities: Iterable[Mapping[str, Any]]) -> Binding:
    """Whether the latest message may answer `question` (see the module docstring)."""
    if question not in QUESTIONS:
        raise ValueError(f"unknown confirmation question {question!r}")
    named = [e.get("value") for e in entities if e.get("entity") == ENTITY]
    if named:
        return "bound" if all(value == question for value in named) else "stale"
    # No question named: a typed answer is bound, a bare button payload is not.
    return "stale" if (text or "").lstrip().startswith("/") else "bound"
