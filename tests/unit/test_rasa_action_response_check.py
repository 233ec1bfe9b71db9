"""Rasa's check of action-server responses, with its validator built once
(bot/rasa_ext/action_response_check.py), accepts and refuses exactly what Rasa's own check does,
with the same message.

It imports Rasa, which only the Rasa environment has, so the checks run there in a subprocess.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.needs import need

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"

CHECKS = r"""
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from bot.rasa_ext import action_response_check

rasas = RemoteAction._validate_action_result
action = RemoteAction("action_x", None)
responses = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "exam_type", "value": "MRI", "timestamp": None}],
     "responses": [{"response": "utter_greet", "buttons": [{"title": "a", "payload": "/b"}]}]},
    {"events": [{"event": "active_loop", "name": "worth_form"},
                {"event": "followup", "name": "action_listen"},
                {"event": "bot", "text": "hello", "data": {"elements": None}}], "responses": []},
    {"events": [{"event": "slot", "value": 1}], "responses": []},      # a slot without its name
    {"events": [{"event": "no_such_event"}], "responses": []},          # an unknown event
    {"events": "not a list", "responses": []},
    {"events": [], "responses": "not a list"},
    {"events": [{"event": "reminder", "intent": "x", "date_time": 3}]},  # Rasa's schema lets it be
    [],
]


def outcome(check, response):
    try:
        return check(action, response)
    except ValidationError as error:
        return ("refused", error.message, list(error.path), error.validator)


before = [outcome(rasas, r) for r in responses]
action_response_check.install()
assert RemoteAction._validate_action_result is not rasas
after = [outcome(RemoteAction._validate_action_result, r) for r in responses]
assert before == after, (before, after)
assert [o is True for o in before] == [True] * 3 + [False] * 4 + [True, False], before
assert all("Failed to validate Action server response" in o[1] for o in before if o is not True)
print("ok")
"""


def test_the_validator_built_once_checks_exactly_as_rasa_does() -> None:
    need(RASA_PYTHON.exists(), "the Rasa environment (.venv-rasa)")
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", CHECKS], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.stdout.strip().endswith("ok"), (result.stdout[-2000:], result.stderr[-3000:])


def test_rasa_serve_installs_it() -> None:
    text = (ROOT / "scripts" / "rasa-serve").read_text()
    assert "action_response_check.install()" in text
    assert text.rindex("action_response_check.install()") < text.rindex("rasa.__main__.main()")
