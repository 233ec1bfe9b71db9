"""After the records request: when to check in, what has arrived, and what to say.

Pure. A written request starts a clock: at day 10 the bot asks whether anything has arrived, at
day 30 (the HIPAA deadline of 45 CFR 164.524, one written 30-day extension allowed) it says what
to tell the center, how to complain to the HHS Office for Civil Rights, and that the
second-opinion physician may request the images instead. Files uploaded after the request are
checked against it (DICOM images or only pictures? the signed report? earlier scans?), and
what is still missing is named with the keys of `records_letter.MISSING`, so the same keys
write the follow-up note to the center. The patient may also just say what came wrong ("the CD
has no report", "they only gave me JPEGs", "they charged a search fee"):
`bot.guidance.deliveries.missing_from_delivery` names it with the same keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.imaging.verdict import Verdict

# Day 10: a polite check-in; day 30: the legal deadline for the center to act.
FOLLOW_UP_DAYS = (10, 30)
STEPS = ("day10", "day30")


def next_follow_up(requested_at: datetime, sent: int) -> tuple[str, datetime] | None:
    """The next step after `sent` follow-ups and when it is due; None when both were sent."""
    if sent >= len(FOLLOW_UP_DAYS):
        return None
    return STEPS[sent], requested_at + timedelta(days=FOLLOW_UP_DAYS[sent])


@dataclass(frozen=True)
class Arrival:
    """What the uploads since the request hold, against what the letter asked for."""

    uploads: int  # checked uploads since the request
    missing: tuple[str, ...]  # keys of records_letter.MISSING, in the letter's order

    @property
    def anything(self) -> bool:
        return self.uploads > 0

    @property
    def complete(self) -> bool:
        """Images a radiologist can read and the report: what a second read cannot do without.
        Earlier scans are asked for, but a patient may have none, so they never hold it up."""
        return self.anything and not {"dicom", "report"} & set(self.missing)


def arrival(verdicts: Sequence[Verdict]) -> Arrival:
    """Check the verdicts of the uploads made since the request against the request."""
    if not verdicts:
        return Arrival(0, ())
    studies = [study for verdict in verdicts for study in verdict.studies]
    usable = [study for study in studies if study.usable]
    missing: list[str] = []
    if not usable:
        missing.append("dicom")
    if not any(verdict.reports for verdict in verdicts):
        missing.append("report")
    # Priors: a second study of the same body part on another day.
    seen: dict[str | None, set[date | None]] = {}
    for study in usable:
        seen.setdefault(study.body_part, set()).add(study.date)
    if not any(len(dates) > 1 for dates in seen.values()):
        missing.append("priors")
    return Arrival(len(verdicts), tuple(missing))


_WHAT = {
    "dicom": "the images in DICOM format (so far only pictures or screenshots)",
    "report": "the signed report",
    "priors": "earlier scans for comparison (if you had any)",
}
_ASK_AGAIN = {
    "dicom": "the complete images in DICOM format instead of pictures",
    "report": "the signed report",
    "priors": "the earlier scans of the same body part",
    "fee": "a corrected bill without the search fee (the law allows only a cost-based fee)",
}


def ask_again_for(keys: Sequence[str]) -> str:
    """What the follow-up note asks the center for, in plain words."""
    names = [_ASK_AGAIN[key] for key in dict.fromkeys(keys) if key in _ASK_AGAIN]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def still_missing_sentence(found: Arrival) -> str:
    """For the patient and the console: what has come and what has not, in plain words."""
    if not found.anything:
        return "Nothing has been uploaded since the request."
    names = [_WHAT[key] for key in found.missing if key in _WHAT]
    if not names:
        return "Everything the letter asked for has arrived."
    return "Still missing: " + "; ".join(names) + "."


def day_10_message(center: str, requested_on: date, found: Arrival) -> str:
    center = center or "the imaging center"
    start = (
        f"It's been 10 days since you wrote to {center} for your images and report "
        f"(your letter is dated {requested_on:%B} {requested_on.day}). Has anything arrived?"
    )
    if found.anything:
        return f"{start} {still_missing_sentence(found)}"
    return (
        f"{start} If it has, send it to me here and I'll check it. If not, a short call to "
        "their medical records (health information) department often helps: ask when the "
        "copies will be ready and in which format."
    )


def day_30_message(center: str, requested_on: date) -> str:
    center = center or "the imaging center"
    deadline = requested_on + timedelta(days=30)
    return (
        f"It's been 30 days since your records request to {center}. Under HIPAA (45 CFR "
        f"164.524) they had to act on it by {deadline:%B} {deadline.day}, unless they told you "
        "in writing that they needed one 30-day extension and why.\n"
        "- What to say: \"I asked for my imaging records in writing on "
        f"{requested_on:%B} {requested_on.day}, {requested_on.year}. The HIPAA right of access "
        "requires you to act within 30 days. Please tell me today when I will receive them.\"\n"
        "- If they still don't send them, you can file a complaint with the HHS Office for "
        "Civil Rights (OCR), online at https://ocrportal.hhs.gov, within 180 days. It's free "
        "and you don't need a lawyer.\n"
        "- Or let the second-opinion radiologist ask for them: with the authorization form I "
        "wrote for you, their office can request the images directly."
    )

