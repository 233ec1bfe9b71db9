"""Journey 4: how likely insurance is to pay for a second read, and what exactly to ask.

Only the insurer can confirm coverage, so the advice is a likelihood plus questions the patient can
read out word for word. Facts (Medicare Part B, CPT 76140, X12 service type codes, self-pay range)
come from the domain notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

LIKELY: Final = "likely"
POSSIBLE: Final = "possible"
UNLIKELY: Final = "unlikely"
_ONE_STEP_LOWER: Final[dict[str, str]] = {LIKELY: POSSIBLE, POSSIBLE: UNLIKELY, UNLIKELY: UNLIKELY}

# Original Medicare has no network, and there is no network to ask about without a plan.
_NO_NETWORK_PLANS: Final = frozenset({"none", "medicare"})
# Plans that usually pay nothing out of network (outside emergencies).
_NETWORK_ONLY_PLANS: Final = frozenset({"hmo", "medicare_advantage"})

SELF_PAY: Final = (
    "Direct-to-patient second reads have been listed around $150 (X-ray/ultrasound) to $250 "
    "(CT/MRI/mammogram); prices change — confirm with the service."
)

_PLAN_SUMMARIES: Final[dict[str, str]] = {
    "medicare": (
        "Original Medicare (Part B) covers a second opinion when non-emergency surgery or a major "
        "diagnostic or therapeutic procedure is recommended, and a third opinion if the first two "
        "differ. You usually pay 20% coinsurance after the Part B deductible."
    ),
    "medicare_advantage": (
        "Medicare Advantage (Part C) plans set their own rules: they may require in-network "
        "doctors or a referral. Original Medicare covers a second opinion before surgery or a "
        "major procedure; ask your plan how it handles this."
    ),
    "hmo": (
        "HMO plans usually pay only with a referral from your primary care doctor and only for "
        "in-network providers."
    ),
    "ppo": (
        "PPO plans usually pay more when the reviewing radiologist is in network; out of network "
        "you may pay more."
    ),
    "medicaid": (
        "Medicaid coverage of second opinions varies by state: ask your state Medicaid program or "
        "your Medicaid health plan."
    ),
    "none": (
        "Without insurance, a second read is self-pay. Many second-opinion programs are self-pay "
        "anyway; ask for the full price before you send anything."
    ),
    "other": "Plans differ: ask your plan how it covers a second opinion on imaging.",
}
_UNKNOWN_PLAN_SUMMARY: Final = (
    "I don't know your type of plan yet; the questions below work for most plans."
)
_IMAGE_ONLY_NOTE: Final = (
    "A review of images alone (\"consultation on an exam made elsewhere\", CPT 76140) is rarely "
    "paid, and many programs are self-pay."
)
_CONFIRM_NOTE: Final = "Only your insurer can confirm what it will pay."


@dataclass(frozen=True)
class InsuranceAdvice:
    likelihood: str  # "likely" | "possible" | "unlikely"
    summary: str
    questions_to_ask: tuple[str, ...]
    self_pay: str

    def as_text(self) -> str:
        lines = [
            f"Chance that insurance pays: {self.likelihood}.",
            self.summary,
            "",
            "Questions you can ask (you can read them out as written):",
            *(f"- {question}" for question in self.questions_to_ask),
            "",
            f"If you pay yourself: {self.self_pay}",
        ]
        return "\n".join(lines)


def needs_network_question(plan_type: str | None) -> bool:
    """Whether asking "is the reviewer in your network?" makes sense for this plan."""
    return plan_type is not None and plan_type not in _NO_NETWORK_PLANS


def needs_coverage_questions(plan_type: str | None) -> bool:
    """Whether the doctor's request and a planned surgery matter: without insurance the advice
    is the same whatever they are, so they are not asked."""
    return plan_type != "none"


def _likelihood(
    plan_type: str | None, physician_requested: str | None, surgery_planned: str | None,
    in_network: str | None,
) -> str:
    if plan_type == "none":
        return UNLIKELY
    medicare_like = plan_type in ("medicare", "medicare_advantage")
    level = LIKELY if medicare_like and surgery_planned == "yes" else POSSIBLE
    if plan_type in _NETWORK_ONLY_PLANS and in_network == "no":
        level = _ONE_STEP_LOWER[level]
    # CPT 76140 is rarely paid when no physician ordered the review.
    if physician_requested == "no":
        level = _ONE_STEP_LOWER[level]
    return level


def _summary(
    plan_type: str | None, physician_requested: str | None, surgery_planned: str | None,
    in_network: str | None,
) -> str:
    parts = [_PLAN_SUMMARIES.get(plan_type or "", _UNKNOWN_PLAN_SUMMARY)]
    if plan_type == "none":
        return " ".join(parts)
    if plan_type == "medicare" and surgery_planned != "yes":
        parts.append(
            "Without a recommended surgery or major procedure, a review of images alone may not "
            "be covered."
        )
    parts.append(_IMAGE_ONLY_NOTE)
    if physician_requested == "no":
        parts.append(
            "Because your doctor hasn't asked for the review, payment is less likely; asking "
            "your doctor to request it can help."
        )
    if plan_type in _NETWORK_ONLY_PLANS and in_network == "no":
        parts.append(
            "An out-of-network reviewer is often not paid unless the plan approves it first."
        )
    parts.append(_CONFIRM_NOTE)
    return " ".join(parts)


def _insurer_questions(plan_type: str | None, surgery_planned: str | None) -> tuple[str, ...]:
    questions = [
        "Do you cover a radiologist's second review of images from an exam done elsewhere? The "
        "code is CPT 76140, \"consultation on an exam made elsewhere\".",
        "Do I need a referral or prior authorization before the second opinion?",
    ]
    if plan_type is None or needs_network_question(plan_type):
        questions.append(
            "Which radiologists or second-opinion programs are in network for me, and what do I "
            "pay if the reviewer is out of network?"
        )
    questions.append(
        "You may call this a \"consultation\" (service type 3) or a \"second surgical opinion\" "
        "(service type 20). What are my benefits under each?"
    )
    if surgery_planned == "yes" or plan_type == "medicare":
        questions.append(
            "If the first two opinions differ, is a third opinion covered (\"third surgical "
            "opinion\", service type 21)?"
        )
    questions.append(
        "If the review is billed as imaging, does \"diagnostic X-ray\" (service type 4) or "
        "\"MRI/CAT scan\" (service type 62) apply?"
    )
    if plan_type == "medicare":
        questions.append(
            "Is this covered under Part B as a second opinion before surgery or a major "
            "procedure, and how much of my Part B deductible is left before the 20% "
            "coinsurance applies?"
        )
    elif plan_type == "medicaid":
        questions.append("How does my state's Medicaid plan cover second opinions on imaging?")
    questions.append("What will I pay in total: deductible, copay or coinsurance?")
    return tuple(questions)


# Without insurance the useful questions go to the second-opinion service instead.
_SELF_PAY_QUESTIONS: Final = (
    "What is the total price, and what does it include (a written report, a call with the "
    "radiologist)?",
    "Do you need a request or prescription from my doctor?",
    "How do I send the images (upload, or a CD by mail), and how long does a review usually take?",
    "Will the report go to me, to my doctor, or to both?",
)


def advise_insurance(
    plan_type: str | None,
    physician_requested: str | None,
    surgery_planned: str | None,
    in_network: str | None,
) -> InsuranceAdvice:
    """Coverage likelihood and questions; answers are canonical keys ("yes"/"no"/"unsure")."""
    questions = (
        _SELF_PAY_QUESTIONS if plan_type == "none"
        else _insurer_questions(plan_type, surgery_planned)
    )
    return InsuranceAdvice(
        likelihood=_likelihood(plan_type, physician_requested, surgery_planned, in_network),
        summary=_summary(plan_type, physician_requested, surgery_planned, in_network),
        questions_to_ask=questions,
        self_pay=SELF_PAY,
    )
