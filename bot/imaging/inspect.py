"""inspect_files: sniff each file, read what matters, and sum it up in one verdict.

One bad file never spoils the rest: anything unexpected while reading a file makes that file
"couldn't be read", and the inspection goes on. Archives are all-or-nothing: a hostile archive is
refused whole, whatever good files it also holds. Odd files are named for what they are: an
empty ZIP is empty, a Word document is a Word document, and a file named like a DICOM image that
holds something else (a program, a web page, text) is told as not a medical image file.
"""

from __future__ import annotations

import codecs
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
    is_java_archive,
    open_archive,
    read_nested,
)
from bot.imaging.dicom import DamagedDicom, DicomDirectory, Instance, read_dicom
from bot.imaging.message import compose
from bot.imaging.names import dicom_name, extension, is_system_file
from bot.imaging.office import RICH_TEXT, compound_document, zipped_document
from bot.imaging.pdf import PdfFinding, PdfKind, classify_text, inspect_pdf
from bot.imaging.sniff import HEAD_SIZE, Kind, Sniffed, sniff
from bot.imaging.sources import InspectionLimits, SourceFile
from bot.imaging.studies import build_studies
from bot.imaging.verdict import FileGroup, Problem, Report, Study, Verdict

_VIEWER_KINDS = frozenset({Kind.PROGRAM, Kind.AUTORUN})
# Kinds whose content we cannot name better than the file's name does: a program, a web page or
# text named IM0001.dcm is "not a medical image file", not "a viewer program".
_NAME_FIRST_KINDS = frozenset({Kind.PROGRAM, Kind.AUTORUN, Kind.HTML, Kind.TEXT})
_MAX_DETAILS = 5
# A report typed out is a few kilobytes: a text file is judged on its beginning, and one larger
# than _MAX_REPORT_TEXT (a log, a data export) is not read at all.
_TEXT_READ = 64 * 1024
_MAX_REPORT_TEXT = 1024 * 1024


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
    # Web pages: a CD's or an export's viewer next to images, else a page saved from somewhere.
    web_pages: int = 0

    def merge(self, other: _Findings) -> None:
        self.instances.extend(other.instances)
        self.directories.extend(other.directories)
        self.reports.extend(other.reports)
        self.ignored.merge(other.ignored)
        self.rejected.merge(other.rejected)
        self.unknown.merge(other.unknown)
        self.looks_like_cd = self.looks_like_cd or other.looks_like_cd
        self.web_pages += other.web_pages


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
        if is_system_file(path):
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
        elif kind is Kind.OFFICE:
            self._office(stream, path, size, sniffed, depth, into)
        elif kind in _NAME_FIRST_KINDS and (named := dicom_name(path)) is not None:
            # Named like a DICOM image, but not one inside: say so, not what it is instead.
            into.rejected.add("unsupported", "not_dicom", named)
        elif kind is Kind.HTML:
            into.web_pages += 1
        elif kind in _VIEWER_KINDS:
            into.ignored.add("viewer", "viewer_software")
            into.looks_like_cd = True
        elif kind is Kind.TEXT:
            self._text(stream, path, size, into)
        else:
            _set_aside(path, into)

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
        if found is None:  # a bare data set that turned out not to be DICOM
            _set_aside(path, into)
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

    def _office(
        self, stream: BinaryIO, path: str, size: int, sniffed: Sniffed, depth: int,
        into: _Findings,
    ) -> None:
        if sniffed.detail == "RTF":
            what: str | None = RICH_TEXT
        elif depth > 0 and size > self.limits.max_pdf_size:
            what = None  # not read into memory: named by its extension at best
        else:
            # The directory is read by seeking around; a ZIP entry is read into memory once.
            seekable = io.BytesIO(stream.read(size)) if depth > 0 else stream
            what = compound_document(seekable, size, path)
        if what:
            into.rejected.add("office", "office_document", what)
        else:  # an Outlook message, an installer...: no better name than "a file"
            _set_aside(path, into)

    def _text(self, stream: BinaryIO, path: str, size: int, into: _Findings) -> None:
        """A report saved as plain text counts as the written report; other text is set aside."""
        finding = (classify_text(_decode(stream.read(_TEXT_READ)))
                   if size <= _MAX_REPORT_TEXT else None)
        if finding is not None and finding.kind is PdfKind.REPORT:
            into.reports.append(_report(finding))
        else:
            into.unknown.add("text", "not_a_report", extension(path))

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
            office = zipped_document(entries)
            if office:  # .docx, .xlsx, .odt are ZIPs inside: name the document, not its XML
                into.rejected.add("office", "office_document", office)
                return
            if not any(entry.size and not is_system_file(entry.name) for entry in entries):
                # No entries, only folders, only empty files or a Mac's extras: an empty ZIP.
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
        if findings.web_pages:
            if findings.looks_like_cd or findings.instances:
                # The viewer of a CD or of a portal's export, next to the images.
                findings.ignored.add("viewer", "viewer_software", count=findings.web_pages)
                findings.looks_like_cd = True
            else:
                findings.rejected.add("web_page", "html", count=findings.web_pages)
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


def _set_aside(path: str, into: _Findings) -> None:
    """A file of no kind we can name: "not a medical image file" if its name says DICOM."""
    named = dicom_name(path)
    if named is not None:
        into.rejected.add("unsupported", "not_dicom", named)
    else:
        into.unknown.add("unsupported", "unknown_type", extension(path))


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


def _decode(data: bytes) -> str:
    """Text as a text editor would read it: UTF-16 with its byte-order mark, else UTF-8, else
    Windows' Western encoding."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    try:
        # Not final: the cut at _TEXT_READ may fall inside a character.
        return codecs.getincrementaldecoder("utf-8-sig")().decode(data, final=False)
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")
