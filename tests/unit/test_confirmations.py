"""Consenting and destructive answers belong to their own question (issue 15, item 3)."""

from __future__ import annotations

import pytest

from bot.guidance.confirmations import QUESTIONS, binding


def confirm(value: str) -> list[dict[str, str]]:
    return [{"entity": "confirm", "value": value}]


@pytest.mark.parametrize("question", QUESTIONS)
def test_a_button_of_the_same_question_is_bound(question: str) -> None:
    payload = f'/affirm{{"confirm":"{question}"}}'
    assert binding(question, payload, confirm(question)) == "bound"
    assert binding(question, f'/deny{{"confirm":"{question}"}}', confirm(question)) == "bound"


@pytest.mark.parametrize("question", QUESTIONS)
def test_a_button_of_another_question_is_stale(question: str) -> None:
    other = next(q for q in QUESTIONS if q != question)
    assert binding(question, f'/affirm{{"confirm":"{other}"}}', confirm(other)) == "stale"
    assert binding(question, '/affirm{"confirm":"options"}', confirm("options")) == "stale"


@pytest.mark.parametrize("question", QUESTIONS)
def test_a_bare_affirm_payload_is_stale_but_typed_yes_is_bound(question: str) -> None:
    assert binding(question, "/affirm", []) == "stale"
    assert binding(question, "  /deny", []) == "stale"
    assert binding(question, "yes please", []) == "bound"
    assert binding(question, "No", []) == "bound"
    assert binding(question, None, []) == "bound"


def test_an_unknown_question_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        binding("options", "yes", [])
