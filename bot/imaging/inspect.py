"""inspect_files: sniff each file, read what matters, and sum it up in one verdict.

One bad file never spoils the rest: anything unexpected while reading a file makes that file
"couldn't be read", and the inspection goes on. Archives are all-or-nothing: a hostile archive is
refused whole, whatever good files it also holds.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import BinaryIO

from bot.imaging.archives import (
    ArchiveProblem,
    ArchiveRejected,
    Budget,
    Entry,
    is_java_archive,
    open_archive,
    read_nested,
)
from bot.imaging.dicom import DamagedDicom, DicomDirectory, Instance, read_dicom
from bot.imaging.message import compose
from bot.imaging.pdf import PdfFinding, PdfKind, inspect_pdf
from bot.imaging.sniff import HEAD_SIZE, Kind, Sniffed, sniff
from bot.imaging.sources import InspectionLimits, SourceFile
from bot.imaging.studies import build_studies
from bot.imaging.verdict import FileGroup, Problem, Report, Study, Verdict

# Only common extensions are reported back: "Jane.Doe" must not come back as ".doe".
_COMMON_EXTENSIONS = """
    .txt .doc .docx .rtf .odt .pages .xls .xlsx .csv .ppt .pptx .xml .json .ini .inf .log .htm
    .html .js .css .ico .ttf .dll .exe .dat .bin .raw .img .iso .dmg .mp4 .mov .avi .wmv .mkv
    .eml .msg .db .lnk .url .tmp .bak .sys .cab .msi .chm .hlp .nfo .cfg
"""
_KNOWN_EXTENSIONS = frozenset(_COMMON_EXTENSIONS.split())
# Files an operating system adds by itself (macOS ZIPs carry a __MACOSX copy of every file):
# set aside without a word, so a plain ZIP from a Mac does not read as a pile of rejects.
_SYSTEM_FILES = frozenset({".ds_store", "thumbs.db", "desktop.ini", "ehthumbs.db"})
_VIEWER_KINDS = frozenset({Kind.PROGRAM, Kind.AUTORUN, Kind.HTML})
_MAX_DETAILS = 5


def _ignore(error: BaseException) -> None:
    pass


# Called with every unexpected exception that made a file "couldn't be read". The fuzz test
# hooks it to tell a library's complaint about garbage from a bug of ours; production ignores it
# (the exception's text may quote file content, so it is never logged).
on_unexpected_error: Callable[[BaseException], None] = _ignore


@dataclass
class _Tally:
    """Files set aside, counted by (kind, reason), with a few harmless details."""

    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    details: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def add(self, kind: str, reason: str, detail: str = "", count: int = 1) -> None:
        key = (kind, reason)
        self.counts[key] = self.counts.get(key, 0) + count
        shown = self.details.setdefault(key, [])
        if detail and detail not in shown and len(shown) < _MAX_DETAILS:
            shown.append(detail)

    def merge(self, other: _Tally) -> None:
        for key, count in other.counts.items():
            self.add(*key, count=count)
            for detail in other.details.get(key, []):
                self.add(*key, detail=detail, count=0)

    def groups(self) -> tuple[FileGroup, ...]:
        return tuple(
            FileGroup(kind, reason, count, tuple(self.details.get((kind, reason), ())))
            for (kind, reason), count in self.counts.items()
            if count
        )


@dataclass
class _Findings:
    instances: list[Instance] = field(default_factory=list)
    directories: list[DicomDirectory] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)
    ignored: _Tally = field(default_factory=_Tally)
    rejected: _Tally = field(default_factory=_Tally)
    # Files of no known kind: set aside quietly on a CD (next to a DICOMDIR or a viewer),
    # reported as unusable otherwise.
    unknown: _Tally = field(default_factory=_Tally)
    looks_like_cd: bool = False

    def merge(self, other: _Findings) -> None:
        self.instances.extend(other.instances)
        self.directories.extend(other.directories)
        self.reports.extend(other.reports)
        self.ignored.merge(other.ignored)
        self.rejected.merge(other.rejected)
        self.unknown.merge(other.unknown)
        self.looks_like_cd = self.looks_like_cd or other.looks_like_cd


def inspect_files(files: Sequence[SourceFile], limits: InspectionLimits | None = None) -> Verdict:
    """Inspect one upload. Never raises."""
    try:
        return _Inspection(limits or InspectionLimits()).run(files)
    except Exception as error:
        on_unexpected_error(error)
        # Only a bug can get here; the patient still gets an answer rather than silence.
        return Verdict(
            ok=False,
            message="I couldn't check these files just now. Please try uploading them again.",
            rejected=(FileGroup("damaged", "unreadable", len(files)),),
            missing=("images", "report"),
        )


class _Inspection:
    def __init__(self, limits: InspectionLimits) -> None:
        self.limits = limits
        self.budget = Budget(limits)
        # A fresh key per inspection: identity hashes cannot be compared across uploads.
        self.salt = os.urandom(16)
        self.files_checked = 0
        self.too_many_files = False

    def run(self, files: Sequence[SourceFile]) -> Verdict:
        findings = _Findings()
        for source in files:
            self._inspect(source.path, source.size, source.open, depth=0, into=findings)
        return self._verdict(findings)

    def _inspect(
        self, path: str, size: int, opener: Callable[[], BinaryIO], depth: int, into: _Findings
    ) -> None:
        if self.files_checked >= self.limits.max_files:
            self.too_many_files = True
            return
        self.files_checked += 1
        if _is_system_file(path):
            into.ignored.add("system", "os_metadata")
            return
        try:
            stream = opener()
        except Exception as error:
            on_unexpected_error(error)
            into.rejected.add("damaged", "unreadable")
            return
        try:
            self._dispatch(stream, path, size, depth, into)
        except ArchiveRejected as rejection:
            if depth > 0:
                raise  # the outermost archive is refused whole
            into.rejected.add("archive", rejection.problem.value)
        except Exception as error:
            on_unexpected_error(error)
            into.rejected.add("damaged", "unreadable")
        finally:
            with contextlib.suppress(Exception):
                stream.close()

    def _dispatch(
        self, stream: BinaryIO, path: str, size: int, depth: int, into: _Findings
    ) -> None:
        head = stream.read(HEAD_SIZE)
        sniffed = sniff(head, size)
        stream.seek(0)
        kind = sniffed.kind
        if kind is Kind.EMPTY:
            into.rejected.add("empty", "empty")
        elif kind in (Kind.DICOM, Kind.DICOM_NO_PREAMBLE, Kind.DICOMDIR):
            self._dicom(stream, path, size, sniffed, into)
        elif kind is Kind.PDF:
            self._pdf(stream, size, depth, into)
        elif kind is Kind.ZIP:
            self._archive(stream, path, size, depth, into)
        elif kind is Kind.OTHER_ARCHIVE:
            into.rejected.add("archive", "unsupported_format", sniffed.detail)
        elif kind is Kind.PICTURE:
            into.rejected.add("picture", "screenshot", sniffed.detail)
        elif kind in _VIEWER_KINDS:
            into.ignored.add("viewer", "viewer_software")
            into.looks_like_cd = True
        elif _suffix(path) in DICOM_NAMES:
            # Named like a DICOM image, but not one inside: say so, not "an unknown file".
            into.rejected.add("unsupported", "not_dicom", _suffix(path))
        else:
            into.unknown.add("unsupported", "unknown_type", _extension(path))

    def _dicom(
        self, stream: BinaryIO, path: str, size: int, sniffed: Sniffed, into: _Findings
    ) -> None:
        if sniffed.kind is Kind.DICOMDIR:
            into.looks_like_cd = True
            if size > self.limits.max_dicomdir_size:
                return
        try:
            found = read_dicom(stream, size, sniffed, self.salt, self.limits.max_pdf_size)
        except DamagedDicom:
            into.rejected.add("damaged", "dicom")
            return
        if found is None:
            into.unknown.add("unsupported", "unknown_type", _extension(path))
        elif isinstance(found, DicomDirectory):
            into.directories.append(found)
        else:
            into.instances.append(found)
            if found.document is not None:
                self._embedded_pdf(found.document, into)

    def _embedded_pdf(self, document: bytes, into: _Findings) -> None:
        finding = inspect_pdf(io.BytesIO(document), self.limits.max_pdf_pages, _report_error)
        if finding.kind in (PdfKind.REPORT, PdfKind.SCANNED):
            into.reports.append(replace(_report(finding), in_dicom=True))

    def _pdf(self, stream: BinaryIO, size: int, depth: int, into: _Findings) -> None:
        if depth > 0:
            # pypdf seeks back and forth; inside a ZIP every backward seek would decompress the
            # entry again, so the (size-capped) PDF is read into memory once.
            if size > self.limits.max_pdf_size:
                into.rejected.add("pdf", "too_large")
                return
            stream = io.BytesIO(stream.read(size))
        finding = inspect_pdf(stream, self.limits.max_pdf_pages, _report_error)
        if finding.kind in (PdfKind.REPORT, PdfKind.SCANNED):
            into.reports.append(_report(finding))
        elif finding.kind is PdfKind.OTHER:
            into.ignored.add("pdf", "not_a_report")
        else:
            into.rejected.add("pdf", finding.kind.value)

    def _archive(
        self, stream: BinaryIO, path: str, size: int, depth: int, into: _Findings
    ) -> None:
        if depth > self.limits.max_nesting:
            raise ArchiveRejected(ArchiveProblem.TOO_DEEP)
        if depth > 0:
            stream = read_nested(stream, size, self.limits)
        archive, entries = open_archive(stream, size, self.limits, self.budget)
        with archive:
            office = office_document(entries)
            if office:  # .docx, .xlsx, .pptx are ZIPs inside: name the document, not its XML
                into.rejected.add("office", "office_document", office)
                return
            if not entries:
                into.rejected.add("empty", "empty_archive")
                return
            if is_java_archive(entries):
                into.ignored.add("viewer", "viewer_software")
                into.looks_like_cd = True
                return
            if depth >= self.limits.max_nesting and any(
                entry.name.lower().endswith(".zip") for entry in entries
            ):
                # Refused before reading any entry: the index already shows archives too deep.
                raise ArchiveRejected(ArchiveProblem.TOO_DEEP)
            inner = _Findings()
            for entry in entries:
                self._inspect(f"{path}/{entry.name}", entry.size, entry.open, depth + 1, inner)
            into.merge(inner)

    def _verdict(self, findings: _Findings) -> Verdict:
        studies, problems = build_studies(findings.instances, findings.directories)
        if self.too_many_files:
            problems.insert(0, Problem("too_many_files", blocking=True,
                                       count=self.limits.max_files))
        if findings.looks_like_cd:
            for (_, reason), count in findings.unknown.counts.items():
                findings.ignored.add("cd_extra", reason, count=count)
        else:
            findings.rejected.merge(findings.unknown)
        global_block = any(problem.blocking and problem.study is None for problem in problems)
        usable = [study for study in studies if study.usable]
        ok = bool(usable) and not global_block
        has_report = bool(findings.reports)
        missing = tuple(
            name for name, present in (("images", bool(usable)), ("report", has_report))
            if not present
        )
        exam_type, body_part = _main_exam(studies, findings.reports)
        verdict = Verdict(
            ok=ok,
            message="",
            studies=tuple(studies),
            reports=tuple(findings.reports),
            ignored=findings.ignored.groups(),
            rejected=findings.rejected.groups(),
            problems=tuple(problems),
            missing=missing,
            exam_type=exam_type,
            body_part=body_part,
            files_checked=self.files_checked,
        )
        return replace(verdict, message=compose(verdict))


def _report_error(error: BaseException) -> None:
    on_unexpected_error(error)  # looked up at call time, so a test's hook is seen


def _report(finding: PdfFinding) -> Report:
    return Report(
        kind="scanned" if finding.kind is PdfKind.SCANNED else "text",
        exam_type=finding.exam_type,
        body_part=finding.body_part,
        exam_date=finding.exam_date,
        sections=finding.sections,
        pages=finding.pages,
    )


def _main_exam(
    studies: Sequence[Study], reports: Sequence[Report]
) -> tuple[str | None, str | None]:
    """The exam the upload is about: the largest real study's, else the report's."""
    candidates = sorted(
        (study for study in studies if not study.screenshots_only and study.exam_type),
        key=lambda study: (not study.usable, -study.image_count),
    )
    if candidates:
        return candidates[0].exam_type, candidates[0].body_part
    for report in reports:
        if report.exam_type:
            return report.exam_type, report.body_part
    return None, None


DICOM_NAMES = (".dcm", ".dicom", ".dic")
_OFFICE_PARTS = (("word/", "a Word document"), ("xl/", "an Excel spreadsheet"),
                 ("ppt/", "a PowerPoint file"))


def office_document(entries: Sequence[Entry]) -> str | None:
    """What an Office Open XML file is ("a Word document"), from its ZIP entries; else None."""
    names = [str(entry.name) for entry in entries]
    if "[Content_Types].xml" not in names:
        return None
    return next((what for prefix, what in _OFFICE_PARTS
                 if any(name.startswith(prefix) for name in names)), "an Office document")


def _is_system_file(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return (
        name.lower() in _SYSTEM_FILES
        or name.startswith("._")
        or "__MACOSX/" in path.replace("\\", "/")
    )


def _suffix(path: str) -> str:
    name = path.rsplit("/", 1)[-1].lower()
    return name[name.rfind(".") :] if "." in name else ""


def _extension(path: str) -> str:
    name = path.rsplit("/", 1)[-1].lower()
    extension = name[name.rfind(".") :] if "." in name else ""
    return extension if extension in _KNOWN_EXTENSIONS else ""
