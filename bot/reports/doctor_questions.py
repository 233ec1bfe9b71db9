"""Questions for the patient's doctor that follow from the differences between two reports.
Pure. They ask; they never answer which report is right."""

from __future__ import annotations

from bot.reports.compare import Comparison, Difference

THIRD_OPINION = (
    "Would a third opinion from another subspecialist radiologist help settle the differences?"
)
# Differences that may change what happens next.
CHANGES_CARE = ("presence", "only_in_a", "only_in_b", "category", "recommendation")


def question_for(difference: Difference) -> str:
    d = difference
    if d.kind == "only_in_b":
        return (f"Report B mentions {d.subject} ({d.b}) that report A does not. Which report "
                "fits my symptoms and history, and does it need follow-up?")
    if d.kind == "only_in_a":
        return (f"Report A mentions {d.subject} ({d.a}) that report B does not. Which report "
                "fits my symptoms and history, and does it need follow-up?")
    if d.kind == "presence":
        return (f"Report A says {d.subject}: {d.a}; report B says: {d.b}. Which fits what you "
                "see, and would another test settle it?")
    if d.kind == "side":
        return (f"The reports place the {d.subject} on different sides (A: {d.a}; B: {d.b}). "
                "Could the images be checked again for the side?")
    if d.kind == "size":
        return (f"The reports measure the {d.subject} differently (A: {d.a}; B: {d.b}). Which "
                "measurement should later scans be compared with?")
    if d.kind == "category":
        return (f"Report A gives {d.a} and report B {d.b}. Which category will guide my care, "
                "and what is the next step?")
    return (f"Report A recommends {d.a}; report B recommends {d.b}. Which plan do you suggest "
            "for me, and why?")


def doctor_questions(comparison: Comparison) -> list[str]:
    questions = [question_for(d) for d in comparison.differences]
    if any(d.kind in CHANGES_CARE for d in comparison.differences):
        questions.append(THIRD_OPINION)
    return questions
