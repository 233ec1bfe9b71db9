"""The actions' wording lives in domain.yml (issue 23): every response an action names exists,
every response is sent by something, and no action writes static wording of its own."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tests.unit._responses import calls, names_in_code

ROOT = Path(__file__).resolve().parents[2]
DOMAIN: dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text())
RESPONSES = set(DOMAIN["responses"])
# Responses Rasa's own actions send: action_restart, action_default_fallback, action_back and
# the two-stage fallback's rephrasing.
RASA_DEFAULTS = {"utter_restart", "utter_default", "utter_back", "utter_ask_rephrase"}


def in_rules_and_stories() -> set[str]:
    steps = [*(ROOT / "data").rglob("*.yml"), ROOT / "tests" / "test_stories.yml"]
    return {name for path in steps for name in re.findall(r"\butter_\w+", path.read_text())}


def asked_by_forms() -> set[str]:
    """A form asks for a slot with utter_ask_<slot> (unless an action_ask_<slot> does)."""
    return {
        f"utter_ask_{slot}"
        for form in DOMAIN["forms"].values()
        for slot in form["required_slots"]
    }


def test_every_response_an_action_names_is_in_the_domain() -> None:
    named = names_in_code()
    assert "utter_case_opened" in named and "utter_privacy" in named  # literals and guidance
    assert named <= RESPONSES, sorted(named - RESPONSES)


def test_every_call_names_its_response_or_takes_it_from_the_code() -> None:
    found = calls()
    assert len([call for call in found if call.responses]) > 50
    for call in found:
        if call.named_at_run_time:
            # A reply picked at run time (bot.guidance.questions, forms.EXPLANATIONS): its name
            # is a string in the code, checked above; it can pass no variables to check.
            assert not call.variables and not call.spread, call.where


def test_every_domain_response_is_sent_by_something() -> None:
    used = names_in_code() | in_rules_and_stories() | asked_by_forms() | RASA_DEFAULTS
    assert not RESPONSES - used, f"sent by nothing: {sorted(RESPONSES - used)}"


def test_no_action_writes_static_wording() -> None:
    """A fixed sentence goes to domain.yml as a response; only text built from data (verdicts,
    listings, summaries, the letter) or shared with the Telegram bridge is written in Python."""
    static = [call.where for call in calls() if call.literal_text]
    assert not static, static
