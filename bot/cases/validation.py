"""Parsers for the contact details a patient types. Each returns a clean value or None."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

MAX_AGE_YEARS = 120

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_MONTH_NAME = r"(?P<month>[a-z]+)\.?"
_YEAR = r"(?P<year>\d{4})"
_DATE_PATTERNS = [
    re.compile(rf"{_YEAR}[-/](?P<month>\d{{1,2}})[-/](?P<day>\d{{1,2}})"),  # 1980-03-14
    re.compile(rf"(?P<month>\d{{1,2}})[-/](?P<day>\d{{1,2}})[-/]{_YEAR}"),  # 03/14/1980 (US)
    re.compile(rf"{_DAY}\s+(?:of\s+)?{_MONTH_NAME},?\s+{_YEAR}"),  # 14 March 1980
    re.compile(rf"{_MONTH_NAME}\s+{_DAY},?\s+{_YEAR}"),  # March 14, 1980
]


def parse_date_of_birth(text: str, today: date) -> date | None:
    """A plausible birth date: a real calendar date, not in the future, age at most 120."""
    cleaned = " ".join(text.strip().lower().split())
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(cleaned)
        if match is not None:
            return _plausible(_to_date(match["year"], match["month"], match["day"]), today)
    # "she was born on the 6th of may 1950": one date inside a sentence is the answer; two
    # different dates ("scanned 2024-01-05, born 1950-02-03") are ambiguous, so ask again.
    found = {
        _to_date(match["year"], match["month"], match["day"])
        for pattern in _DATE_PATTERNS
        for match in re.finditer(rf"(?<![\w/-]){pattern.pattern}(?![\w/-])", cleaned)
    }
    found.discard(None)
    if len(found) != 1:
        return None
    return _plausible(found.pop(), today)


def _plausible(born: date | None, today: date) -> date | None:
    if born is None or born > today or _age(born, today) > MAX_AGE_YEARS:
        return None
    return born


def _to_date(year: str, month: str, day: str) -> date | None:
    month_number = int(month) if month.isdigit() else _MONTHS.get(month)
    if month_number is None:
        return None
    try:
        return date(int(year), month_number, int(day))
    except ValueError:  # Feb 30, month 13 and the like
        return None


def _age(born: date, today: date) -> int:
    had_birthday = (today.month, today.day) >= (born.month, born.day)
    return today.year - born.year - (0 if had_birthday else 1)


_EMAIL_LOCAL = re.compile(r"[^\s@\"(),:;<>\[\]\\]+")
# Letters and digits (any script), hyphens inside; no underscores.
_DOMAIN_LABEL = re.compile(r"[^\W_](?:(?:[^\W_]|-)*[^\W_])?")
_TOP_LEVEL = re.compile(r"[^\W\d_]{2,}")


def parse_email(text: str) -> str | None:
    """A plausible address (one @, a dotted domain, no spaces); the domain lower-cased."""
    candidate = text.strip()
    if len(candidate) > 254 or candidate.count("@") != 1:
        return None
    local, domain = candidate.split("@")
    if not _EMAIL_LOCAL.fullmatch(local) or ".." in local or local.startswith("."):
        return None
    if local.endswith("."):
        return None
    labels = domain.lower().split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels):
        return None
    if not _TOP_LEVEL.fullmatch(labels[-1]):
        return None
    return f"{local}@{'.'.join(labels)}"


_PHONE_FORMATTING = re.compile(r"[\s().\-]")


def parse_phone(text: str) -> str | None:
    """E.164. US numbers: 10 digits, optionally after 1 or +1. Others: + and 8-15 digits."""
    compact = _PHONE_FORMATTING.sub("", text.strip())
    international = compact.startswith("+")
    digits = compact.removeprefix("+")
    if not digits.isascii() or not digits.isdigit():
        return None
    if international:
        if digits.startswith("1"):
            return f"+{digits}" if len(digits) == 11 else None
        return f"+{digits}" if 8 <= len(digits) <= 15 and digits[0] != "0" else None
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return f"+1{digits}" if len(digits) == 10 else None


_NAME_PUNCTUATION = {" ", "-", "'"}


def parse_full_name(text: str) -> str | None:
    """2-100 characters of letters (accents too), spaces, hyphens, apostrophes; 2+ letters."""
    name = unicodedata.normalize("NFC", " ".join(text.split())).replace("\u2019", "'")
    if not 2 <= len(name) <= 100:
        return None
    letters = 0
    for char in name:
        category = unicodedata.category(char)
        if category.startswith("L"):
            letters += 1
        elif not (category.startswith("M") or char in _NAME_PUNCTUATION):
            return None
    return name if letters >= 2 else None
