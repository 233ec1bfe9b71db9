"""What to tell a patient about the files they sent: pure wording over upload statuses.

The inspection itself (bot.imaging) writes each upload's verdict; this module decides which
verdicts are new to the patient, what is still running, and what to ask for next.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.guidance.situation import Picture
from bot.guidance.subspecialty import suggest_subspecialty
from bot.guidance.vocabulary import BODY_PARTS, EXAM_TYPES, describe_scan

RUNNING = frozenset({"receiving", "pending", "checking"})
FINISHED = frozenset({"checked", "failed"})
# A reminder asks again every few seconds; after this many tries the patient is told to come back.
MAX_FOLLOW_UPS = 24

FAILED_CHECK = (
    "I couldn't finish checking one of your uploads. Your files are safe and our team will "
    "look at them; you don't need to send them again."
)


@dataclass(frozen=True)
class UploadState:
    """The parts of an upload record the wording needs."""

    public_id: str
    status: str
    verdict: Mapping[str, Any] | None


@dataclass(frozen=True)
class UploadReport:
    messages: tuple[str, ...]
    newly_reported: tuple[str, ...]
    still_running: tuple[str, ...]


def report_uploads(states: Sequence[UploadState], already_reported: set[str]) -> UploadReport:
    """One message per finished upload the patient has not heard about yet, in upload order."""
    messages: list[str] = []
    reported: list[str] = []
    for state in states:
        if state.status not in FINISHED or state.public_id in already_reported:
            continue
        verdict = state.verdict or {}
        message = str(verdict.get("message") or "") if state.status == "checked" else ""
        messages.append(message or FAILED_CHECK)
        reported.append(state.public_id)
    running = tuple(state.public_id for state in states if state.status in RUNNING)
    return UploadReport(tuple(messages), tuple(reported), running)




def still_checking_message(count: int) -> str:
    files = "upload" if count == 1 else f"{count} uploads"
    return (
        f"I'm still checking your {files}. Large studies take a little longer: I'll tell you "
        "here as soon as I'm done."
    )


def taking_long_message() -> str:
    return (
        "Checking your files is taking longer than usual. They are stored safely; ask me "
        '"did my files arrive?" in a few minutes, or say "talk to a person".'
    )


def next_step_message(has_images: bool, picture: Picture) -> str | None:
    """After a good study: which subspecialist fits, saying truthfully what that rests on.

    The files' headers decide the exam and body part; what the patient told me fills only what
    the headers leave out, and the sentence says which part came from where.
    """
    exam, part = picture.exam_type.value, picture.body_part.value
    if not has_images or (exam is None and part is None):
        return None
    suggestion = suggest_subspecialty(exam, part, picture.age_group.value)
    return (
        f"Going by {_basis(picture)}, a good fit for the second read is {suggestion.name}. "
        f"{suggestion.reason}"
    )


def _basis(picture: Picture) -> str:
    exam, part = picture.exam_type, picture.body_part
    from_files = describe_scan(exam.files, part.files) if (exam.files or part.files) else None
    told = [
        *([EXAM_TYPES[exam.said]] if exam.said and not exam.files else []),
        *([BODY_PARTS[part.said]] if part.said and not part.files else []),
    ]
    if picture.age_group.value == "child":
        told.append("the patient is under 18")
    basis = [f"the details stored in the files ({from_files})"] if from_files else []
    if told:
        basis.append(f"what you told me ({', '.join(told)})")
    return " and ".join(basis)
