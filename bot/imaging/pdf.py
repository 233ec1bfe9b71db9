"""Is this PDF the written radiology report? Which exam, which date? Never what it says.

`classify_text` also judges a report saved as plain text (a .txt from a portal or an email).

Text comes from pypdf, at most `max_pages` pages, and pypdf's errors are caught: a damaged or
hostile PDF is just a PDF that could not be read. Images are recognised from the page resources,
without decoding them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, BinaryIO

from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from bot.imaging.exam import exam_from_text

# pypdf's warnings about malformed files quote the file's raw bytes, which can be a report's
# text: patient data must not reach the logs, so pypdf is silenced (only this module uses it).
logging.getLogger("pypdf").setLevel(logging.CRITICAL + 1)

_MAX_TEXT = 200_000  # characters kept for matching; a report is a few thousand
_MIN_TEXT = 40  # below this a page set counts as "no text" (page numbers, a stray header)


class PdfKind(StrEnum):
    REPORT = "report"
    SCANNED = "scanned"  # pictures of pages, no text: most likely a scanned paper report
    OTHER = "other"  # readable, but not a radiology report (an invoice, a referral letter)
    EMPTY = "empty"  # no text and no pictures
    PROTECTED = "protected"  # needs a password
    DAMAGED = "damaged"


@dataclass(frozen=True)
class PdfFinding:
    kind: PdfKind
    pages: int = 0
    exam_type: str | None = None
    body_part: str | None = None
    exam_date: date | None = None
    sections: tuple[str, ...] = ()


_SECTIONS: tuple[tuple[str, str], ...] = (
    ("findings", r"findings?"),
    ("impression", r"impressions?|conclusions?|opinion|summary of findings"),
    ("technique", r"technique|procedure details|protocol"),
    ("history", r"clinical (?:history|indications?|information|details)|indications?|history|"
                r"reason for (?:exam|examination|study)"),
    ("comparison", r"comparisons?|prior studies"),
)
_SECTION_PATTERNS = tuple(
    (name, re.compile(rf"(?im)^[ \t]*(?:{words})[ \t]*(?::|$)")) for name, words in _SECTIONS
)
_EXAM_LINE = re.compile(
    r"(?im)^[ \t]*(?:exam(?:ination)?|procedure|study|exam type|type of exam|examination type|"
    r"exam description|study description)[ \t]*(?:name)?[ \t]*:[ \t]*(.+)$"
)
_DATE_LABELS = re.compile(
    r"(?i)exam(?:ination)?\s*date|date\s*of\s*(?:exam|examination|service|study|procedure)|"
    r"study\s*date|service\s*date|procedure\s*date|performed|acquired|date\s*:"
)
_NOT_EXAM_DATES = re.compile(
    r"(?i)\bdob\b|d\.o\.b|birth|born|signed|dictated|transcribed|printed|verified|finali[sz]ed|"
    r"approved|faxed|received|reported|page \d"
)
_MONTHS = {
    name: number
    for number, names in enumerate(
        (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
         ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
         ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
         ("dec", "december")),
        start=1,
    )
    for name in names
}
_MONTH = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|" \
         r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_DATES = re.compile(
    r"(?i)\b(?:(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2})"
    r"|(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4})"
    r"|(?P<dd>\d{1,2})\.(?P<dm>\d{1,2})\.(?P<dy>\d{4})"
    rf"|(?P<td>\d{{1,2}})(?:st|nd|rd|th)?[ -]{_MONTH}\.?[ -,]*(?P<ty>\d{{4}})"
    rf"|{_MONTH}\.?[ ]+(?P<md>\d{{1,2}})(?:st|nd|rd|th)?,?[ ]+(?P<my>\d{{4}}))\b"
)


def inspect_pdf(
    stream: BinaryIO, max_pages: int, on_error: Callable[[BaseException], None] | None = None
) -> PdfFinding:
    """Classify a PDF. Never raises: anything pypdf cannot read is DAMAGED (and `on_error` hears
    why, for tests)."""
    try:
        return _inspect(stream, max_pages)
    except Exception as error:
        if on_error is not None:
            on_error(error)
        return PdfFinding(PdfKind.DAMAGED)


def pdf_text(stream: BinaryIO, max_pages: int = 10) -> str:
    """The text of a readable PDF (a report the patient sent, to compare with another); "" when
    it has none or cannot be read. Never raises."""
    try:
        reader = _open(stream)
        if reader is None:
            return ""
        return _text_and_pictures(reader, max_pages)[0]
    except Exception:
        return ""


def _open(stream: BinaryIO) -> PdfReader | None:
    """The reader, or None when the PDF needs a password."""
    reader = PdfReader(stream, strict=False)
    if reader.is_encrypted:
        # Many PDFs are "encrypted" with an empty user password, only to restrict printing.
        try:
            if not reader.decrypt(""):
                return None
        except Exception:
            return None
    return reader


def _inspect(stream: BinaryIO, max_pages: int) -> PdfFinding:
    reader = _open(stream)
    if reader is None:
        return PdfFinding(PdfKind.PROTECTED)
    page_count = len(reader.pages)
    text, has_pictures = _text_and_pictures(reader, max_pages)
    if len(text.strip()) < _MIN_TEXT:
        kind = PdfKind.SCANNED if has_pictures else PdfKind.EMPTY
        return PdfFinding(kind, pages=page_count)
    return classify_text(text, page_count)


def _text_and_pictures(reader: PdfReader, max_pages: int) -> tuple[str, bool]:
    page_count = len(reader.pages)
    texts: list[str] = []
    length = 0
    has_pictures = False
    for index in range(min(page_count, max_pages)):
        page = reader.pages[index]
        try:
            text = page.extract_text() or ""
        except Exception:
            text = ""
        if length < _MAX_TEXT:
            texts.append(text[: _MAX_TEXT - length])
            length += len(texts[-1])
        has_pictures = has_pictures or _has_pictures(page)
    return "\n".join(texts), has_pictures


def classify_text(text: str, pages: int = 0) -> PdfFinding:
    """REPORT (with exam, date and sections) when the text reads like a radiology report, with
    findings or an impression; OTHER otherwise."""
    text = text[:_MAX_TEXT]
    sections = tuple(name for name, pattern in _SECTION_PATTERNS if pattern.search(text))
    exam_type, body_part = _exam(text)
    has_conclusion = "findings" in sections or "impression" in sections
    if not (has_conclusion and (len(sections) >= 2 or exam_type is not None)):
        return PdfFinding(PdfKind.OTHER, pages=pages)
    return PdfFinding(
        PdfKind.REPORT,
        pages=pages,
        exam_type=exam_type,
        body_part=body_part,
        exam_date=exam_date(text),
        sections=sections,
    )


def _exam(text: str) -> tuple[str | None, str | None]:
    """From an "Exam:" line if there is one, else from the title lines before the first section."""
    for match in _EXAM_LINE.finditer(text):
        exam, part = exam_from_text(match.group(1))
        if exam is not None:
            return exam, part
    for line in text.splitlines()[:15]:
        if _NOT_EXAM_DATES.search(line) or re.search(r"(?i)patient|name|mrn", line):
            continue
        if any(pattern.match(line) for _, pattern in _SECTION_PATTERNS):
            break
        exam, part = exam_from_text(line)
        if exam is not None:
            return exam, part
    return None, None


def exam_date(text: str) -> date | None:
    """The exam's date: a date after a date label ("Exam date:") first, else the first date on a
    line that says nothing of birth, signature or printing."""
    fallback: date | None = None
    for line in text.splitlines():
        for label in _DATE_LABELS.finditer(line):
            # "Birth Date:" is a label too: look at the words just before it.
            if _NOT_EXAM_DATES.search(line, max(0, label.start() - 16), label.start()):
                continue
            for match in _DATES.finditer(line, label.end()):
                if _NOT_EXAM_DATES.search(line, label.end(), match.start()):
                    break
                found = _to_date(match)
                if found is not None:
                    return found
        if fallback is None and not _NOT_EXAM_DATES.search(line):
            fallback = next(
                (found for match in _DATES.finditer(line) if (found := _to_date(match))), None
            )
    return fallback


def _to_date(match: re.Match[str]) -> date | None:
    groups = match.groupdict()
    try:
        if groups["iy"]:
            year, month, day = int(groups["iy"]), int(groups["im"]), int(groups["id"])
        elif groups["y"]:
            # US style (month/day) unless the first number cannot be a month.
            first, second = int(groups["a"]), int(groups["b"])
            month, day = (first, second) if first <= 12 else (second, first)
            year = int(groups["y"])
        elif groups["dy"]:
            year, month, day = int(groups["dy"]), int(groups["dm"]), int(groups["dd"])
        else:
            words = [value for value in match.groups() if value and not value.isdigit()]
            month = _MONTHS[words[0].lower().rstrip(".")]
            day = int(groups["td"] or groups["md"])
            year = int(groups["ty"] or groups["my"])
        if not 1950 <= year <= 2100:
            return None
        return date(year, month, day)
    except (ValueError, KeyError, IndexError):
        return None


def _has_pictures(page: Any) -> bool:
    """Whether the page draws an image XObject (directly or one form deep), read from the
    resources dictionary only: images are never decoded."""
    try:
        return _resources_have_images(page.get("/Resources"), depth=0)
    except Exception:
        return False


def _resources_have_images(resources: Any, depth: int) -> bool:
    resources = resources.get_object() if resources is not None else None
    if not isinstance(resources, DictionaryObject):
        return False
    xobjects = resources.get("/XObject")
    xobjects = xobjects.get_object() if xobjects is not None else None
    if not isinstance(xobjects, DictionaryObject):
        return False
    for value in list(xobjects.values())[:64]:
        xobject = value.get_object()
        if not isinstance(xobject, DictionaryObject):
            continue
        subtype = xobject.get("/Subtype")
        if subtype == "/Image":
            return True
        if subtype == "/Form" and depth < 1 and _resources_have_images(
            xobject.get("/Resources"), depth + 1
        ):
            return True
    return False
