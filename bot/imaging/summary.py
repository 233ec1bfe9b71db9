"""What one conversation has sent so far, over all its uploads (the report may come later)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.guidance.vocabulary import describe_scan


@dataclass(frozen=True)
class Summary:
    has_images: bool
    has_report: bool
    exam_type: str | None
    body_part: str | None
    missing: list[str] = field(default_factory=list)
    message: str = ""


def conversation_summary(verdicts: Sequence[Mapping[str, Any]]) -> Summary:
    """Combine the `Verdict.to_dict()` of a conversation's uploads, oldest first."""
    valid = [verdict for verdict in verdicts if isinstance(verdict, Mapping)]
    with_images = [verdict for verdict in valid if verdict.get("ok") is True]
    has_images = bool(with_images)
    has_report = any(_reports(verdict) for verdict in valid)
    exam_type, body_part = _latest_exam(with_images) or _latest_exam(valid) or (None, None)
    missing = [name for name, present in (("images", has_images), ("report", has_report))
               if not present]
    return Summary(
        has_images=has_images,
        has_report=has_report,
        exam_type=exam_type,
        body_part=body_part,
        missing=missing,
        message=_message(has_images, has_report, exam_type, body_part),
    )


def _reports(verdict: Mapping[str, Any]) -> list[Any]:
    reports = verdict.get("reports")
    return list(reports) if isinstance(reports, list | tuple) else []


def _latest_exam(verdicts: Sequence[Mapping[str, Any]]) -> tuple[str | None, str | None] | None:
    for verdict in reversed(verdicts):
        exam = verdict.get("exam_type")
        if isinstance(exam, str) and exam:
            part = verdict.get("body_part")
            return exam, part if isinstance(part, str) and part else None
    return None


def _message(has_images: bool, has_report: bool, exam: str | None, part: str | None) -> str:
    images = f"your images ({describe_scan(exam, part)})" if exam else "your images"
    if has_images and has_report:
        return f"I now have {images} and the written report: that's what a radiologist needs."
    if has_images:
        return f"I have {images}. Still missing: the written report."
    if has_report:
        return ("I have the written report. Still missing: the scan images (the DICOM files, "
                "from the CD or the portal download).")
    return "I don't have any usable scan images or report yet."
