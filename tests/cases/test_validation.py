"""Parsers for what patients type: birth date, email, phone, name."""

from __future__ import annotations

from datetime import date

import pytest

from bot.cases.validation import parse_date_of_birth, parse_email, parse_full_name, parse_phone

TODAY = date(2026, 3, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1980-03-14", date(1980, 3, 14)),
        ("1980/3/4", date(1980, 3, 4)),
        ("03/14/1980", date(1980, 3, 14)),
        ("3/4/1980", date(1980, 3, 4)),  # US order: month first
        ("03-14-1980", date(1980, 3, 14)),
        ("14 March 1980", date(1980, 3, 14)),
        ("14 mar 1980", date(1980, 3, 14)),
        ("14th of March, 1980", date(1980, 3, 14)),
        ("March 14, 1980", date(1980, 3, 14)),
        ("march 14 1980", date(1980, 3, 14)),
        ("Sept. 1st, 1999", date(1999, 9, 1)),
        ("  December   31,  1999 ", date(1999, 12, 31)),
        ("2000-02-29", date(2000, 2, 29)),  # a leap day
        ("2026-03-01", TODAY),  # born today
        ("1906-03-01", date(1906, 3, 1)),  # turns 120 today
        ("1905-03-02", date(1905, 3, 2)),  # 120, turns 121 tomorrow
        # One date inside a sentence is the answer.
        ("she was born on the 2nd of june 1951", date(1951, 6, 2)),
        ("dob is 11-04-1962", date(1962, 11, 4)),
        ("My date of birth: April 9, 1977.", date(1977, 4, 9)),
        ("born 1948/7/30 thanks", date(1948, 7, 30)),
    ],
)
def test_birth_dates_people_write(text: str, expected: date) -> None:
    assert parse_date_of_birth(text, TODAY) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2026-03-02",  # tomorrow
        "2030-01-01",
        "02/30/1980",  # Feb 30
        "February 30, 1980",
        "1999-02-29",  # not a leap year
        "13/45/2000",
        "14/03/1980",  # day-first is not US order: month 14
        "1980-13-01",
        "1905-03-01",  # turns 121 today
        "1905-02-28",
        "1800-01-01",
        "14 Marchember 1980",
        "03/14/80",  # two-digit year
        "1980",
        "",
        "yesterday",
        "1980-03-14 or maybe 1981-03-14",  # two dates: ambiguous
        "scan on 2025-01-05, born 1950-02-03",
        "born in 1950",
        "card 4111-03-14-1980-22",  # digits glued to the date are not a date
        "born on 30 feb 1950",
    ],
)
def test_impossible_or_implausible_birth_dates(text: str) -> None:
    assert parse_date_of_birth(text, TODAY) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jane@example.com", "jane@example.com"),
        ("  Jane.Doe+scans@Example.COM ", "Jane.Doe+scans@example.com"),  # local part kept
        ("j_o'neil@mail.co.uk", "j_o'neil@mail.co.uk"),
        ("x@sub-domain.example.org", "x@sub-domain.example.org"),
        ("josé@correo.México.mx", "josé@correo.méxico.mx"),
    ],
)
def test_plausible_emails(text: str, expected: str) -> None:
    assert parse_email(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "jane",
        "jane@",
        "@example.com",
        "jane@example",  # no dot in the domain
        "jane@@example.com",
        "ja@ne@example.com",
        "jane doe@example.com",
        "jane@exa mple.com",
        "jane@.example.com",
        "jane@example..com",
        "jane@example.com.",
        "jane@-example.com",
        "jane@example.c",  # one-letter top-level domain
        "jane@example.123",
        ".jane@example.com",
        "jane.@example.com",
        "ja..ne@example.com",
        "jane@exam_ple.com",
        "a" * 250 + "@example.com",
    ],
)
def test_implausible_emails(text: str) -> None:
    assert parse_email(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("617-555-0142", "+16175550142"),
        ("(617) 555-0142", "+16175550142"),
        ("617.555.0142", "+16175550142"),
        ("6175550142", "+16175550142"),
        ("1 617 555 0142", "+16175550142"),
        ("+1 (617) 555-0142", "+16175550142"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+49 30 12345678", "+493012345678"),
        ("+353 1 234 5678", "+35312345678"),
        ("+86 10 1234 5678 901", "+861012345678901"),  # 15 digits, the E.164 maximum
    ],
)
def test_phone_numbers(text: str, expected: str) -> None:
    assert parse_phone(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "555-0142",  # 7 digits
        "617-555-014",  # 9 digits
        "617-555-01423",  # 11 digits not starting with 1
        "2 617 555 0142",
        "+1 617 555 014",  # +1 needs exactly 10 more digits
        "+44 1234",  # under 8 digits
        "+1234567890123456",  # over 15 digits
        "+0 44 20 7946 0958",  # no country code starts with 0
        "617-555-CALL",
        "617 555 0142 ext 12",
        "++16175550142",
        "１６１７５５５０１４２",  # full-width digits
    ],
)
def test_not_phone_numbers(text: str) -> None:
    assert parse_phone(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jane Doe", "Jane Doe"),
        ("  jane   doe ", "jane doe"),
        ("Jane\nDoe", "Jane Doe"),
        ("Zoë Saldaña-Nazario", "Zoë Saldaña-Nazario"),
        ("Seán O'Brien", "Seán O'Brien"),
        ("Seán O\u2019Brien", "Seán O'Brien"),  # typographic apostrophe
        ("Nguyễn Thị Minh Khai", "Nguyễn Thị Minh Khai"),
        ("Zoe\u0308 Doe", "Zoë Doe"),  # combining diaeresis, normalized
        ("Li", "Li"),
        ("Ana " + "B" * 96, "Ana " + "B" * 96),  # 100 characters
    ],
)
def test_names(text: str, expected: str) -> None:
    assert parse_full_name(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "J",
        " - ",
        "J-",  # one letter only
        "Ana " + "B" * 97,  # 101 characters
        "Jane Doe 3rd",
        "Jane_Doe",
        "jane@example.com",
        "Robert'); DROP TABLE patients;--",
        "😀 Smile",
    ],
)
def test_not_names(text: str) -> None:
    assert parse_full_name(text) is None
