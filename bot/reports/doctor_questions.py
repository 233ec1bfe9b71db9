"""Questions for the patient's doctor that follow from the differences between two reports.
Pure. They ask; they never answer which report is right."""

from __future__ import annotations

from bot.reports.compare import Comparison, Difference

THIRD_OPINION = (
    "Would a third opinion from another subspecialist radiologist help settle the differences?"
)
# Differences that may change what happens next.
CHANGES_CARE = ("presence", "only_in_a", "only_in_b", "side", "category", "recommendation")


_QUESTIONS = {
    "only_in_b": "Report B mentions {subject} ({b}) that report A does not. Which report fits "
                 "my symptoms and history, and does it need follow-up?",
    "only_in_a": "Report A mentions {subject} ({a}) that report B does not. Which report fits "
                 "my symptoms and history, and does it need follow-up?",
    "presence": "Report A says {subject}: {a}; report B says: {b}. Which fits what you see, and "
                "would another test settle it?",
    "side": "The reports place the {subject} on different sides (A: {a}; B: {b}). Could the "
            "images be checked again for the side?",
    "size": "The reports measure the {subject} differently (A: {a}; B: {b}). Which measurement "
            "should later scans be compared with?",
    "category": "Report A gives {a} and report B {b}. Which category will guide my care, and "
                "what is the next step?",
    "recommendation": "Report A recommends {a}; report B recommends {b}. Which plan do you "
                      "suggest for me, and why?",
}


def question_for(difference: Difference) -> str:
    d = difference
    return _QUESTIONS[d.kind].format(subject=d.subject, a=d.a, b=d.b)


def doctor_questions(comparison: Comparison) -> list[str]:
    questions = [question_for(d) for d in comparison.differences]
    if any(d.kind in CHANGES_CARE for d in comparison.differences):
        questions.append(THIRD_OPINION)
    return questions
