"""One check over every response the bot can send from domain.yml: placeholders that Rasa can
fill, no internal codes, and no wording that reads as a diagnosis."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

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


def test_there_are_responses_to_check() -> None:
    assert len(TEXTS) > 40


@pytest.mark.parametrize(("name", "text"), TEXTS, ids=[name for name, _ in TEXTS])
def test_a_response_fills_only_slots_and_shows_no_codes(name: str, text: str) -> None:
    for placeholder in re.findall(r"\{(\w+)\}", text):
        assert placeholder in DOMAIN["slots"], f"{name}: {{{placeholder}}} is not a slot"
    assert not CODE.findall(re.sub(r"\{\w+\}|https?://\S+", "", text)), name
    assert "None" not in text and "null" not in text


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
