"""One check over every response the bot can send from domain.yml: placeholders that Rasa can
fill, no internal codes, and no wording that reads as a diagnosis.

Rasa 3.6 fills a `{name}` from the slot `name`, or from the keyword argument `name` an action
passes with `dispatcher.utter_message(response=..., name=value)`. Those template variables are
read from the actions' code (tests/unit/_responses.py): a response may use only the ones its
callers pass, and every caller passes all of them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.unit._responses import Call, calls, placeholders, template_variables

ROOT = Path(__file__).resolve().parents[2]
DOMAIN: dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text())
TEXTS = [
    (name, variant["text"])
    for name, variants in DOMAIN["responses"].items()
    for variant in variants
    if variant.get("text")
]
# A sentence that tells the patient what they have or what a finding is. The bot explains the
# process; only a doctor tells a patient what the images show.
FINDING = (r"(?:torn|broken|ruptured|tear|fracture|tumou?r|cancer|nodule|mass|lesion|stroke|"
           r"infection|disease|bleed|ha?emorrhage|cyst|infarct|metastas[ie]s)")
DIAGNOSIS = re.compile(
    rf"\byou (?:have|probably have|likely have|don't have|do not have) (?:an? )?(?:\w+ ){{0,2}}"
    rf"{FINDING}"
    r"|\bit(?:'s| is) (?:cancer|benign|malignant|nothing serious|normal)\b"
    r"|\b(?:this|that) (?:means|is) (?:cancer|benign|malignant)\b",
    re.IGNORECASE,
)
CODE = re.compile(r"\b[a-z]+_[a-z_]+\b")  # unclear_report, body_imaging, exam_type
VARIABLES = template_variables()
SLOTS = set(DOMAIN["slots"])


def test_there_are_responses_to_check() -> None:
    assert len(TEXTS) > 40


@pytest.mark.parametrize(("name", "text"), TEXTS, ids=[name for name, _ in TEXTS])
def test_a_response_fills_only_slots_and_its_variables_and_shows_no_codes(
    name: str, text: str
) -> None:
    for placeholder in re.findall(r"\{(\w+)\}", text):
        assert placeholder in SLOTS | VARIABLES.get(name, set()), (
            f"{name}: {{{placeholder}}} is neither a slot nor passed by the action that sends it"
        )
    assert not CODE.findall(re.sub(r"\{\w+\}|https?://\S+", "", text)), name
    assert "None" not in text and "null" not in text


CALLS = [call for call in calls() if call.responses]


def variable_problems(call: Call, responses: dict[str, Any]) -> list[str]:
    """What is wrong with the variables one `utter_message(response=...)` call passes."""
    if call.spread:
        return ["**kwargs: name the variables so they can be checked"]
    problems = []
    if call.variables & SLOTS:
        problems.append(f"{sorted(call.variables & SLOTS)} are slots")
    for name in call.responses:
        wanted = {p for v in responses[name] for p in placeholders(v.get("text") or "")}
        if wanted - SLOTS - call.variables:
            problems.append(f"{name} would show {sorted(wanted - SLOTS - call.variables)} unfilled")
        if call.variables - wanted:
            problems.append(f"{name} has no place for {sorted(call.variables - wanted)}")
    return problems


@pytest.mark.parametrize("call", CALLS, ids=[call.where for call in CALLS])
def test_each_action_passes_exactly_the_variables_of_its_response(call: Call) -> None:
    # A variable named like a slot would hide it: the response would not say what it seems to.
    assert not variable_problems(call, DOMAIN["responses"]), call.where


def test_the_variables_check_catches_a_missing_an_extra_and_a_slot_variable() -> None:
    responses = {"utter_x": [{"text": "Case {number}: {status}, {{not a variable}} {contact}"}]}

    def call(*variables: str) -> Call:
        return Call("x.py:1", ("utter_x",), False, frozenset(variables), False, False)

    assert variable_problems(call("number", "status"), responses) == []
    assert variable_problems(call("number"), responses) == [
        "utter_x would show ['status'] unfilled"
    ]
    assert variable_problems(call("number", "status", "when"), responses) == [
        "utter_x has no place for ['when']"
    ]
    assert variable_problems(call("number", "status", "contact"), responses)[0] == (
        "['contact'] are slots"
    )
    assert VARIABLES["utter_case_not_found"] == {"tries"}  # read from bot/actions/case_status.py


def test_a_response_with_variables_is_sent_only_by_actions() -> None:
    """A rule or story that uttered it would show the `{name}` unfilled."""
    steps = "\n".join(p.read_text() for p in [*(ROOT / "data").rglob("*.yml"),
                                              ROOT / "tests" / "test_stories.yml"])
    with_variables = {name for name, variables in VARIABLES.items() if variables}
    assert with_variables  # the check reads the actions' calls
    assert not {name for name in with_variables if re.search(rf"\b{name}\b", steps)}


@pytest.mark.parametrize(("name", "text"), TEXTS, ids=[name for name, _ in TEXTS])
def test_no_response_reads_as_a_diagnosis(name: str, text: str) -> None:
    assert not DIAGNOSIS.search(text), f"{name}: {DIAGNOSIS.search(text)}"


@pytest.mark.parametrize("sentence", [
    "Based on the report, you have a torn meniscus.",
    "It's benign, nothing to worry about.",
    "This means cancer has spread.",
])
def test_the_check_catches_diagnosis_wording(sentence: str) -> None:
    assert DIAGNOSIS.search(sentence)
