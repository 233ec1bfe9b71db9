"""The result of one inspection: structured findings plus a short message for the patient.

Everything here is JSON-safe through `to_dict` and back through `from_dict`, because verdicts are
stored in the uploads table and read again by the conversation. A verdict never holds a patient's
name, ID, birth date or file names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

VERSION = 1


@dataclass(frozen=True)
class Series:
    number: int | None
    modality: str
    description: str
    images: int
    # Instance numbers absent from the middle of the series, as inclusive (first, last) ranges.
    missing_ranges: tuple[tuple[int, int], ...] = ()
    truncated: int = 0
    compression: str | None = None  # plain name ("JPEG 2000"), None when uncompressed
    decodable: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "modality": self.modality,
            "description": self.description,
            "images": self.images,
            "missing_ranges": [list(pair) for pair in self.missing_ranges],
            "truncated": self.truncated,
            "compression": self.compression,
            "decodable": self.decodable,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Series:
        return cls(
            number=_int_or_none(data.get("number")),
            modality=str(data.get("modality") or ""),
            description=str(data.get("description") or ""),
            images=int(data.get("images") or 0),
            missing_ranges=tuple(
                (int(pair[0]), int(pair[1])) for pair in data.get("missing_ranges") or ()
            ),
            truncated=int(data.get("truncated") or 0),
            compression=_str_or_none(data.get("compression")),
            decodable=bool(data.get("decodable", True)),
        )


@dataclass(frozen=True)
class Study:
    date: date | None
    modalities: tuple[str, ...]
    description: str
    exam_type: str | None
    body_part: str | None
    age_years: int | None
    series_count: int
    image_count: int
    series: tuple[Series, ...]
    # Only secondary captures or structured/dose reports: screenshots stored as DICOM.
    screenshots_only: bool = False
    complete: bool = True

    @property
    def usable(self) -> bool:
        return self.image_count > 0 and not self.screenshots_only and self.complete

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat() if self.date else None,
            "modalities": list(self.modalities),
            "description": self.description,
            "exam_type": self.exam_type,
            "body_part": self.body_part,
            "age_years": self.age_years,
            "series_count": self.series_count,
            "image_count": self.image_count,
            "series": [series.to_dict() for series in self.series],
            "screenshots_only": self.screenshots_only,
            "complete": self.complete,
            "usable": self.usable,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Study:
        return cls(
            date=_date_or_none(data.get("date")),
            modalities=tuple(str(item) for item in data.get("modalities") or ()),
            description=str(data.get("description") or ""),
            exam_type=_str_or_none(data.get("exam_type")),
            body_part=_str_or_none(data.get("body_part")),
            age_years=_int_or_none(data.get("age_years")),
            series_count=int(data.get("series_count") or 0),
            image_count=int(data.get("image_count") or 0),
            series=tuple(Series.from_dict(item) for item in data.get("series") or ()),
            screenshots_only=bool(data.get("screenshots_only", False)),
            complete=bool(data.get("complete", True)),
        )


@dataclass(frozen=True)
class Report:
    kind: str  # "text" (a report with extractable text) or "scanned" (pictures of pages)
    exam_type: str | None = None
    body_part: str | None = None
    exam_date: date | None = None
    sections: tuple[str, ...] = ()
    pages: int = 0
    in_dicom: bool = False  # an Encapsulated PDF inside a DICOM file

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "exam_type": self.exam_type,
            "body_part": self.body_part,
            "exam_date": self.exam_date.isoformat() if self.exam_date else None,
            "sections": list(self.sections),
            "pages": self.pages,
            "in_dicom": self.in_dicom,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Report:
        return cls(
            kind=str(data.get("kind") or "text"),
            exam_type=_str_or_none(data.get("exam_type")),
            body_part=_str_or_none(data.get("body_part")),
            exam_date=_date_or_none(data.get("exam_date")),
            sections=tuple(str(item) for item in data.get("sections") or ()),
            pages=int(data.get("pages") or 0),
            in_dicom=bool(data.get("in_dicom", False)),
        )


@dataclass(frozen=True)
class FileGroup:
    """Files set aside for the same reason (counted, never named: names may carry PHI)."""

    kind: str
    reason: str
    count: int
    # Short, harmless details: file extensions (".txt"), picture formats ("JPEG") or what a
    # document is ("a Word document").
    details: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "reason": self.reason,
            "count": self.count,
            "details": list(self.details),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FileGroup:
        return cls(
            kind=str(data.get("kind") or ""),
            reason=str(data.get("reason") or ""),
            count=int(data.get("count") or 0),
            details=tuple(str(item) for item in data.get("details") or ()),
        )


@dataclass(frozen=True)
class Problem:
    code: str
    blocking: bool
    study: int | None = None  # index into Verdict.studies
    series: int | None = None  # the series' number as the scanner gave it
    count: int | None = None
    ranges: tuple[tuple[int, int], ...] = ()
    detail: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "blocking": self.blocking,
            "study": self.study,
            "series": self.series,
            "count": self.count,
            "ranges": [list(pair) for pair in self.ranges],
            "detail": self.detail,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Problem:
        return cls(
            code=str(data.get("code") or ""),
            blocking=bool(data.get("blocking", False)),
            study=_int_or_none(data.get("study")),
            series=_int_or_none(data.get("series")),
            count=_int_or_none(data.get("count")),
            ranges=tuple((int(pair[0]), int(pair[1])) for pair in data.get("ranges") or ()),
            detail=_str_or_none(data.get("detail")),
        )


@dataclass(frozen=True)
class Verdict:
    """What one upload holds. `ok` is True when at least one DICOM study is usable as it is."""

    ok: bool
    message: str
    studies: tuple[Study, ...] = ()
    reports: tuple[Report, ...] = ()
    ignored: tuple[FileGroup, ...] = ()
    rejected: tuple[FileGroup, ...] = ()
    problems: tuple[Problem, ...] = ()
    missing: tuple[str, ...] = ()  # "images" and/or "report"
    exam_type: str | None = None  # a key of bot.guidance.vocabulary.EXAM_TYPES
    body_part: str | None = None  # a key of bot.guidance.vocabulary.BODY_PARTS
    files_checked: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "ok": self.ok,
            "message": self.message,
            "studies": [study.to_dict() for study in self.studies],
            "reports": [report.to_dict() for report in self.reports],
            "ignored": [group.to_dict() for group in self.ignored],
            "rejected": [group.to_dict() for group in self.rejected],
            "problems": [problem.to_dict() for problem in self.problems],
            "missing": list(self.missing),
            "exam_type": self.exam_type,
            "body_part": self.body_part,
            "files_checked": self.files_checked,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Verdict:
        return cls(
            ok=bool(data.get("ok", False)),
            message=str(data.get("message") or ""),
            studies=_items(Study, data.get("studies")),
            reports=_items(Report, data.get("reports")),
            ignored=_items(FileGroup, data.get("ignored")),
            rejected=_items(FileGroup, data.get("rejected")),
            problems=_items(Problem, data.get("problems")),
            missing=tuple(str(item) for item in data.get("missing") or ()),
            exam_type=_str_or_none(data.get("exam_type")),
            body_part=_str_or_none(data.get("body_part")),
            files_checked=int(data.get("files_checked") or 0),
        )


def _items(cls: Any, values: Sequence[Mapping[str, Any]] | None) -> tuple[Any, ...]:
    return tuple(cls.from_dict(value) for value in values or ())


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _date_or_none(value: Any) -> date | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))
