"""Journey 1: the assessment judges the situation, never the images."""

from __future__ import annotations

import itertools

import pytest

from bot.guidance import vocabulary
from bot.guidance.worthwhile import REMINDER, assess_worthwhile

from ._wording import assert_no_diagnostic_wording

EXAMS = [*vocabulary.EXAM_TYPES, None]
BODY_PARTS = [*vocabulary.BODY_PARTS, None]
SITUATIONS = [*vocabulary.SITUATIONS, None]
EVERY_COMBINATION = list(itertools.product(EXAMS, BODY_PARTS, SITUATIONS))


@pytest.mark.parametrize(
    ("situation", "expected"),
    [
        ("surgery_planned", "strongly_recommended"),
        ("complex_diagnosis", "strongly_recommended"),
        ("subtle_finding", "strongly_recommended"),
        ("unclear_report", "recommended"),
        ("clinical_mismatch", "recommended"),
        ("peace_of_mind", "optional"),
        (None, "optional"),
        ("something_else", "optional"),
    ],
)
def test_recommendation_follows_situation(situation: str | None, expected: str) -> None:
    assert assess_worthwhile("mri", "brain", situation).recommendation == expected


@pytest.mark.parametrize(
    ("exam", "body", "expected_phrases"),
    [
        ("mri", "brain", ("13%", "21%", "PubMed 18555037")),
        ("ct", "spine", ("13%", "21%")),
        ("mri", "head_neck", ("13%", "21%")),
        ("mri", "knee", ("26%", "36%", "Chalian")),
        ("ct", "shoulder", ("26%",)),
        ("mri", "extremity", ("26%",)),
        ("mammogram", None, ("Breast imaging subspecialists",)),
        ("ultrasound", "breast", ("Breast imaging subspecialists",)),
        ("ct", "abdomen", ("body imaging",)),
        ("pet", "whole_body", ("nuclear radiology",)),
        ("angiogram", "extremity", ("vascular and interventional radiology",)),
        ("xray", "chest", ("another radiologist reads the same images",)),
    ],
)
def test_reasons_are_tailored_to_the_exam(
    exam: str | None, body: str | None, expected_phrases: tuple[str, ...]
) -> None:
    reasons = " ".join(assess_worthwhile(exam, body, "surgery_planned").reasons)
    for phrase in expected_phrases:
        assert phrase in reasons


@pytest.mark.parametrize(("exam", "body"), [("xray", "knee"), ("ultrasound", "brain")])
def test_study_numbers_only_for_the_exams_they_studied(exam: str, body: str) -> None:
    reasons = " ".join(assess_worthwhile(exam, body, "complex_diagnosis").reasons)
    assert "%" not in reasons


def test_evidence_says_it_is_not_about_this_scan() -> None:
    reasons = " ".join(assess_worthwhile("mri", "brain", "unclear_report").reasons)
    assert "not a statement about your scan" in reasons


def test_peace_of_mind_is_honest_about_cost_and_follow_up() -> None:
    assessment = assess_worthwhile("mri", "knee", "peace_of_mind")
    text = assessment.as_text()
    assert "pay yourself" in text or "self-pay" in text
    assert "follow-up" in text


def test_surgery_step_mentions_medicare_part_b() -> None:
    steps = " ".join(assess_worthwhile("ct", "chest", "surgery_planned").next_steps)
    assert "before the procedure" in steps
    assert "Medicare Part B" in steps


def test_every_assessment_is_complete_and_never_judges_a_finding() -> None:
    # One loop over all combinations rather than ~1000 parametrized cases: keeps the suite fast.
    for exam, body, situation in EVERY_COMBINATION:
        assessment = assess_worthwhile(exam, body, situation)
        case = f"{exam}/{body}/{situation}"
        assert assessment.recommendation in {"strongly_recommended", "recommended", "optional"}
        steps = " ".join(assessment.next_steps)
        assert "DICOM" in steps and "report" in steps and "30 days" in steps, case
        assert "treating doctor" in steps, case
        assert assessment.reasons, case
        assert_no_diagnostic_wording(assessment.as_text())


def test_headline_names_the_scan() -> None:
    assert "brain MRI" in assess_worthwhile("mri", "brain", "subtle_finding").headline
    assert "mammogram" in assess_worthwhile("mammogram", "breast", "peace_of_mind").headline
    assert "depends on your situation" in assess_worthwhile(None, None, None).headline


def test_as_text_layout() -> None:
    assessment = assess_worthwhile("mri", "brain", "surgery_planned")
    text = assessment.as_text()
    lines = text.splitlines()
    assert lines[0] == assessment.headline
    assert "Why:" in lines and "Next steps:" in lines
    assert lines.index("Why:") < lines.index("Next steps:")
    for item in (*assessment.reasons, *assessment.next_steps):
        assert f"- {item}" in lines
    assert lines[-1] == REMINDER

