"""Journey 1: is a second read worth it? Judged from the situation only, never from the images.

Evidence sentences quote study-level numbers from the domain notes and say plainly that they
describe many patients, not this patient's scan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bot.guidance.subspecialty import subspecialty_key, subspecialty_label
from bot.guidance.vocabulary import describe_scan

STRONGLY_RECOMMENDED: Final = "strongly_recommended"
RECOMMENDED: Final = "recommended"
OPTIONAL: Final = "optional"

_LEVEL_BY_SITUATION: Final[dict[str, str]] = {
    "surgery_planned": STRONGLY_RECOMMENDED,
    "complex_diagnosis": STRONGLY_RECOMMENDED,
    "subtle_finding": STRONGLY_RECOMMENDED,
    "unclear_report": RECOMMENDED,
    "clinical_mismatch": RECOMMENDED,
    "peace_of_mind": OPTIONAL,
}

_SITUATION_REASONS: Final[dict[str, str]] = {
    "surgery_planned": (
        "Surgery or another high-stakes procedure is planned: a second read before a big, "
        "hard-to-undo decision is a common and sensible step."
    ),
    "complex_diagnosis": (
        "Complex or rare conditions are where a radiologist who focuses on that area can add "
        "the most."
    ),
    "subtle_finding": (
        "Small or subtle findings, and neurological questions, are where a subspecialist's "
        "second read most often adds detail."
    ),
    "unclear_report": (
        "When a report is vague or inconclusive, a second reader may be able to describe the "
        "images more clearly or say what would help answer the question."
    ),
    "clinical_mismatch": (
        "When the report doesn't fit what your doctor sees, a second read is one way to look "
        "at the images again alongside your history."
    ),
    "peace_of_mind": (
        "Wanting reassurance is reasonable. To be honest about the trade-offs: insurance "
        "rarely pays without a medical reason, so expect to pay yourself, and a second read "
        "can raise new questions or lead to extra follow-up tests."
    ),
}

_NO_SITUATION_REASON: Final = (
    "A second read helps most before surgery or another big decision, for complex or subtle "
    "questions, or when a report is unclear or doesn't fit what your doctor sees."
)

_NOT_ABOUT_YOUR_SCAN: Final = (
    "These are averages across many patients, not a statement about your scan."
)

_NEURO_EVIDENCE: Final = (
    "In a study of second opinions on brain, spine and head-and-neck CT and MRI, the second "
    "reading differed in a major way in 13% of cases and in a minor way in 21% "
    f"(PubMed 18555037). {_NOT_ABOUT_YOUR_SCAN}"
)
_MSK_EVIDENCE: Final = (
    "In a study of second opinions on joint and bone CT and MRI, clinically important "
    "differences were found in 26% of cases, and 36% in cancer care (AJR, Chalian et al.). "
    f"{_NOT_ABOUT_YOUR_SCAN}"
)
_BREAST_REASON: Final = (
    "Breast imaging subspecialists read mammograms and breast scans all day; having one look "
    "at your images next to your earlier ones is a common second-opinion route."
)

_RECORDS_STEP: Final = (
    "Get a copy of the complete DICOM images (not JPEG or PDF screenshots) and the signed "
    "radiology report, plus any earlier scans for comparison. Providers must act on a written "
    "request within 30 days (one 30-day extension is allowed), and I can help you write it."
)
_DOCTOR_STEP: Final = (
    "Talk with your treating doctor about a second opinion: some programs need your doctor to "
    "request it, and your doctor can put the result in context."
)

REMINDER: Final = (
    "I can't look at or judge your images; your own doctor stays the one who makes decisions "
    "with you."
)


@dataclass(frozen=True)
class WorthwhileAssessment:
    recommendation: str  # "strongly_recommended" | "recommended" | "optional"
    headline: str
    reasons: tuple[str, ...]
    next_steps: tuple[str, ...]

    def as_text(self) -> str:
        lines = [self.headline, "", "Why:", *(f"- {reason}" for reason in self.reasons)]
        lines += ["", "Next steps:", *(f"- {step}" for step in self.next_steps)]
        lines += ["", REMINDER]
        return "\n".join(lines)


def _headline(level: str, scan: str, situation: str | None) -> str:
    if situation not in _LEVEL_BY_SITUATION:
        return f"Whether a second opinion on your {scan} is worth it depends on your situation."
    if level == STRONGLY_RECOMMENDED:
        return f"A second opinion on your {scan} is strongly recommended in a situation like yours."
    if level == RECOMMENDED:
        return f"A second opinion on your {scan} is a reasonable step in a situation like yours."
    return f"A second opinion on your {scan} is optional: your choice, if it would help you."


def _exam_reason(exam_type: str | None, area_key: str) -> str:
    """Why this exam in particular benefits: evidence where the notes have it."""
    if area_key == "neuroradiology" and exam_type in ("ct", "mri"):
        return _NEURO_EVIDENCE
    if area_key == "musculoskeletal" and exam_type in ("ct", "mri"):
        return _MSK_EVIDENCE
    if area_key == "breast_imaging":
        return _BREAST_REASON
    if area_key == "general":
        return (
            "A second read means another radiologist reads the same images; for complex "
            "questions a subspecialist helps most."
        )
    return (
        f"A radiologist who focuses on this area ({subspecialty_label(area_key)}) can give a "
        "second read of the same images."
    )


def assess_worthwhile(
    exam_type: str | None, body_part: str | None, situation: str | None
) -> WorthwhileAssessment:
    """How worthwhile a second read is for this situation; an unknown situation is optional."""
    level = _LEVEL_BY_SITUATION.get(situation or "", OPTIONAL)
    area_key = subspecialty_key(exam_type, body_part, None)
    situation_reason = _SITUATION_REASONS.get(situation or "", _NO_SITUATION_REASON)
    reasons = (situation_reason, _exam_reason(exam_type, area_key))

    steps = [_RECORDS_STEP, _DOCTOR_STEP]
    if situation == "surgery_planned":
        steps.append(
            "Try to get the second read before the procedure date, and check coverage: "
            "Medicare Part B covers a second opinion before non-emergency surgery or a major "
            "procedure."
        )
    elif situation == "peace_of_mind":
        steps.append("Ask for the price first: a second read for reassurance is usually self-pay.")
    steps.append(
        f"Look for a radiologist in {subspecialty_label(area_key)}; I can suggest where to look."
    )

    return WorthwhileAssessment(
        recommendation=level,
        headline=_headline(level, describe_scan(exam_type, body_part), situation),
        reasons=reasons,
        next_steps=tuple(steps),
    )
