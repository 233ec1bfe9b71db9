from __future__ import annotations

import pytest

from bot.telegram.commands import rasa_text


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("/start", "/greet"),
        ("/START", "/greet"),
        ("/start some-deep-link", "/greet"),
        ("/help", "/help"),
        ("/help@SecondReadBot", "/help"),
        ("/restart", "/restart"),
        ("/delete_my_data", "/delete_my_data"),
        ("/deletemydata", "deletemydata"),
        ("/ask_worthwhile", "ask_worthwhile"),
        ('/inform{"exam_type":"mri"}', 'inform{"exam_type":"mri"}'),
        ("//start", "start"),
        ("  my back hurts  ", "my back hurts"),
        ("/", ""),
        ("   ", ""),
    ],
)
def test_typed_text_to_rasa(typed: str, sent: str) -> None:
    assert rasa_text(typed) == sent
