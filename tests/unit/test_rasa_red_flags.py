"""The graph component that runs the red-flag net on every message inside Rasa.

It imports Rasa, which only the Rasa environment (.venv-rasa, Python 3.10) has, so the checks on
the component run there in a subprocess; the held-out red-flag conversations
(tests/conversations/test_heldout_pass_rate.py) exercise it through the real stack.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from tests.needs import need

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"

CHECKS = r"""
from rasa.shared.nlu.training_data.message import Message
from bot.rasa_ext.red_flags import RedFlagOverride, override

def parsed(text, intent, confidence):
    message = Message(data={"text": text})
    message.data["intent"] = {"name": intent, "confidence": confidence}
    message.data["intent_ranking"] = [
        {"name": intent, "confidence": confidence}, {"name": "red_flag", "confidence": 0.01}
    ]
    return message

component = RedFlagOverride.create({}, None, None, None)
# Typed as the answer to the name question: read as inform, with high confidence.
answer = parsed("his name is... he can't say his own name, his face is sagging", "inform", 0.97)
ordinary = parsed("Anna Kowalski", "inform", 0.97)
button = parsed('/inform{"body_part":"chest"}', "inform", 1.0)
unsure = parsed("my chest has been aching for an hour", "nlu_fallback", 0.45)
component.process([answer, ordinary, button, unsure])
assert answer.data["intent"] == {"name": "red_flag", "confidence": 1.0}, answer.data
ranking = [r["name"] for r in answer.data["intent_ranking"]]
assert ranking == ["red_flag", "inform"], ranking
assert ordinary.data["intent"]["name"] == "inform"
assert button.data["intent"]["name"] == "inform"
assert unsure.data["intent"]["name"] == "red_flag"
assert override({}, "") is False and override({}, None) is False

# DIET says red_flag, but the message says why its words are not an emergency now.
# The next intent takes its share of the confidence the emergency leaves (0.07 of 0.1 here)...
denied = parsed("I'm not suicidal, just fed up with the imaging center", "red_flag", 0.9)
denied.data["intent_ranking"] = [
    {"name": "red_flag", "confidence": 0.9}, {"name": "records_delay", "confidence": 0.07},
    {"name": "greet", "confidence": 0.03},
]
# ...and when what is left is spread thin, the message was not understood.
spread = parsed("no dark thoughts, just tired of all of it", "red_flag", 0.9)
spread.data["intent_ranking"] = [
    {"name": "red_flag", "confidence": 0.9}, {"name": "records_delay", "confidence": 0.04},
    {"name": "ask_insurance", "confidence": 0.03}, {"name": "greet", "confidence": 0.03},
]
chronic = parsed("my left hand has been numb for a year, hence the neck MRI", "red_flag", 0.6)
chronic.data["intent_ranking"] = [
    {"name": "red_flag", "confidence": 0.6}, {"name": "find_subspecialist", "confidence": 0.3},
    {"name": "inform", "confidence": 0.1},
]
current = parsed("the CT for chest pain was fine but it's back again right now", "red_flag", 0.8)
vague = parsed("something is badly wrong with me right now", "red_flag", 0.95)
component.process([denied, spread, chronic, current, vague])
assert denied.data["intent"]["name"] == "records_delay", denied.data
assert abs(denied.data["intent"]["confidence"] - 0.7) < 1e-9, denied.data
assert [r["name"] for r in denied.data["intent_ranking"]] == ["records_delay", "greet"]
assert spread.data["intent"] == {"name": "nlu_fallback", "confidence": 0.5}, spread.data
assert [r["name"] for r in spread.data["intent_ranking"]][0] == "nlu_fallback"
assert chronic.data["intent"]["name"] == "find_subspecialist", chronic.data
assert abs(chronic.data["intent"]["confidence"] - 0.75) < 1e-9, chronic.data
assert [r["name"] for r in chronic.data["intent_ranking"]] == ["find_subspecialist", "inform"]
assert current.data["intent"]["name"] == "red_flag"
assert vague.data["intent"]["name"] == "red_flag"

import yaml
from bot.rasa_ext.red_flags import DEFAULT_THRESHOLD
steps = yaml.safe_load(open("config.yml"))["pipeline"]
fallback = next(s for s in steps if s["name"] == "FallbackClassifier")
assert fallback["threshold"] == DEFAULT_THRESHOLD, (fallback, DEFAULT_THRESHOLD)
print("ok")
"""


def test_an_emergency_overrides_whatever_the_nlu_read() -> None:
    need(RASA_PYTHON.exists(), "the Rasa environment (.venv-rasa)")
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", CHECKS], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.stdout.strip().endswith("ok"), result.stderr[-3000:]


def test_the_component_runs_after_the_fallback_classifier() -> None:
    pipeline = [
        step["name"] for step in yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]
    ]
    red_flags = pipeline.index("bot.rasa_ext.red_flags.RedFlagOverride")
    assert pipeline.index("FallbackClassifier") < red_flags
    # The only component after it routes questions and never touches an emergency.
    assert pipeline[red_flags + 1:] == ["bot.rasa_ext.question_router.QuestionRouter"]


def test_red_flags_stays_importable_by_rasas_python() -> None:
    """bot.guidance.red_flags (and the package it lives in) may use the stdlib only."""
    need(RASA_PYTHON.exists(), "the Rasa environment (.venv-rasa)")
    code = (
        "import sys; before = set(sys.modules); import bot.guidance.red_flags as r; "
        "assert r.detect_red_flags('my face is drooping'); "
        "new = {m.split('.')[0] for m in set(sys.modules) - before}; "
        "print(sorted(new - set(sys.stdlib_module_names) - {'bot'}))"
    )
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.strip() == "[]", result.stderr[-2000:]
