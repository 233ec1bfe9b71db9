"""Journey 4: coverage likelihood and the exact questions to ask."""

from __future__ import annotations

import itertools

import pytest

from bot.guidance import vocabulary
from bot.guidance.insurance import (
    SELF_PAY,
    advise_insurance,
    needs_network_question,
)

from ._wording import assert_no_diagnostic_wording

EXPECTED_SELF_PAY = (
    "Direct-to-patient second reads have been listed around $150 (X-ray/ultrasound) to $250 "
    "(CT/MRI/mammogram); prices change — confirm with the service."
)


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        (None, False),
        ("none", False),
        ("medicare", False),
        ("medicare_advantage", True),
        ("hmo", True),
        ("ppo", True),
        ("medicaid", True),
        ("other", True),
    ],
)
def test_needs_network_question(plan: str | None, expected: bool) -> None:
    assert needs_network_question(plan) is expected


@pytest.mark.parametrize(
    ("plan", "physician", "surgery", "network", "expected"),
    [
        ("medicare", "yes", "yes", None, "likely"),
        ("medicare", None, "yes", None, "likely"),
        ("medicare", "unsure", "yes", None, "likely"),
        ("medicare", "no", "yes", None, "possible"),
        ("medicare", "yes", "no", None, "possible"),
        ("medicare", "no", "no", None, "unlikely"),
        ("medicare_advantage", "yes", "yes", "yes", "likely"),
        ("medicare_advantage", "yes", "yes", "no", "possible"),
        ("medicare_advantage", "yes", "no", "yes", "possible"),
        ("hmo", "yes", "yes", "yes", "possible"),
        ("hmo", "yes", "no", "no", "unlikely"),
        ("hmo", "no", "no", "yes", "unlikely"),
        ("ppo", "yes", "no", "no", "possible"),
        ("ppo", "no", "no", "yes", "unlikely"),
        ("medicaid", "yes", "yes", "unsure", "possible"),
        ("other", "yes", "no", "yes", "possible"),
        ("none", "yes", "yes", None, "unlikely"),
        (None, None, None, None, "possible"),
    ],
)
def test_likelihood(
    plan: str | None, physician: str | None, surgery: str | None, network: str | None,
    expected: str,
) -> None:
    assert advise_insurance(plan, physician, surgery, network).likelihood == expected


INSURED_PLANS = ["medicare", "medicare_advantage", "hmo", "ppo", "medicaid", "other"]


@pytest.mark.parametrize("plan", INSURED_PLANS)
def test_physician_not_requesting_never_raises_likelihood(plan: str) -> None:
    order = {"unlikely": 0, "possible": 1, "likely": 2}
    requested = advise_insurance(plan, "yes", "yes", "yes")
    not_requested = advise_insurance(plan, "no", "yes", "yes")
    assert order[not_requested.likelihood] < order[requested.likelihood] or (
        requested.likelihood == "unlikely"
    )
    assert "hasn't asked for the review" in not_requested.summary


@pytest.mark.parametrize(
    ("plan", "phrases"),
    [
        ("medicare", ("Part B", "20% coinsurance", "deductible", "third opinion")),
        ("medicare_advantage", ("in-network", "referral")),
        ("hmo", ("referral", "in-network")),
        ("ppo", ("in network",)),
        ("medicaid", ("varies by state",)),
        ("none", ("self-pay",)),
        ("other", ("Plans differ",)),
        (None, ("don't know your type of plan",)),
    ],
)
def test_summary_per_plan(plan: str | None, phrases: tuple[str, ...]) -> None:
    summary = advise_insurance(plan, "yes", "yes", "yes").summary
    for phrase in phrases:
        assert phrase in summary


def test_medicare_without_surgery_warns_image_review_may_not_be_covered() -> None:
    summary = advise_insurance("medicare", "yes", "no", None).summary
    assert "may not be covered" in summary


@pytest.mark.parametrize("plan", [*INSURED_PLANS, None])
def test_insurer_questions_are_concrete(plan: str | None) -> None:
    advice = advise_insurance(plan, "unsure", "unsure", "unsure")
    questions = " ".join(advice.questions_to_ask)
    assert "CPT 76140" in questions
    assert "referral or prior authorization" in questions
    assert '"consultation" (service type 3)' in questions
    assert '"second surgical opinion" (service type 20)' in questions
    assert "service type 4" in questions and "service type 62" in questions
    assert "CPT 76140" in advice.summary
    assert all(question.endswith(("?", '".')) for question in advice.questions_to_ask)
    if plan is None or needs_network_question(plan):
        assert "in network" in questions


def test_original_medicare_is_not_asked_about_networks() -> None:
    questions = " ".join(advise_insurance("medicare", "yes", "yes", None).questions_to_ask)
    assert "in network" not in questions
    assert "20% coinsurance" in questions


def test_third_opinion_question_when_surgery_planned() -> None:
    with_surgery = " ".join(advise_insurance("ppo", "yes", "yes", "yes").questions_to_ask)
    without = " ".join(advise_insurance("ppo", "yes", "no", "yes").questions_to_ask)
    assert "service type 21" in with_surgery
    assert "service type 21" not in without


def test_medicaid_asks_about_the_state_plan() -> None:
    questions = " ".join(advise_insurance("medicaid", "yes", "no", "yes").questions_to_ask)
    assert "state's Medicaid" in questions


def test_uninsured_get_questions_for_the_service() -> None:
    advice = advise_insurance("none", None, None, None)
    questions = " ".join(advice.questions_to_ask)
    assert "total price" in questions
    assert "76140" not in questions


def test_out_of_network_hmo_is_explained() -> None:
    summary = advise_insurance("hmo", "yes", "no", "no").summary
    assert "out-of-network" in summary


def test_self_pay_text_is_exact_and_always_present() -> None:
    assert SELF_PAY == EXPECTED_SELF_PAY
    answers = [*vocabulary.YES_NO, None]
    for plan in [*vocabulary.PLAN_TYPES, None]:
        for physician, surgery, network in itertools.product(answers, repeat=3):
            advice = advise_insurance(plan, physician, surgery, network)
            case = f"{plan}/{physician}/{surgery}/{network}"
            assert advice.self_pay == EXPECTED_SELF_PAY, case
            assert advice.likelihood in {"likely", "possible", "unlikely"}, case
            text = advice.as_text()
            assert advice.summary in text and EXPECTED_SELF_PAY in text, case
            for question in advice.questions_to_ask:
                assert f"- {question}" in text, case
            assert_no_diagnostic_wording(text)


def test_keyword_arguments_match_slot_names() -> None:
    # The insurance action calls advise_insurance(**answers) with these slot names.
    answers = {"plan_type": "hmo", "physician_requested": "yes", "surgery_planned": "no",
               "in_network": "yes"}
    assert advise_insurance(**answers).likelihood == "possible"
