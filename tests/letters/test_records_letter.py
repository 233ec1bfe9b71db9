"""The records-request letter, the third-party authorization and the follow-up note."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from bot.guidance.records_letter import (
    BLANK,
    LetterFields,
    access_request,
    plain_text,
    third_party_authorization,
    wrong_delivery_note,
)

TODAY = date(2026, 12, 4)
GOLDEN = Path(__file__).parent / "golden"
FULL = LetterFields(
    patient_name="Janet Quillfeather",
    date_of_birth=date(1971, 8, 23),
    contact="janet.quillfeather@example.org",
    center_name="Harbor Imaging",
    center_address="12 Pier Road, Salem, MA 01970",
    exam="MRI of the right knee",
    exam_dates=(date(2026, 10, 2),),
    medical_record_number="HI-448812",
    delivery="service",
    recipient_name="Example Second Opinion Radiology",
    recipient_address="1 Reader Way, Boston, MA 02115",
)


def test_the_access_request_matches_the_golden_text() -> None:
    text = plain_text(access_request(FULL, TODAY))
    assert text == (GOLDEN / "access_request.txt").read_text()


def test_the_access_request_asks_for_what_a_second_read_needs_and_cites_the_law() -> None:
    text = plain_text(access_request(FULL, TODAY))
    for needed in ("DICOM", "not JPEG or PDF screenshots", "signed radiology report",
                   "prior comparison studies", "45 CFR 164.524", "within 30 days",
                   "cost-based fee", "no search or retrieval fee", "Signature:", "Date:"):
        assert needed in text, needed
    for fact in ("Janet Quillfeather", "August 23, 1971", "HI-448812", "Harbor Imaging",
                 "12 Pier Road", "MRI of the right knee", "October 2, 2026",
                 "Example Second Opinion Radiology"):
        assert fact in text, fact


def test_missing_fields_are_blank_lines_never_none() -> None:
    text = plain_text(access_request(LetterFields(), TODAY))
    assert "None" not in text and "null" not in text
    assert text.count(BLANK) >= 5  # name, date of birth, contact, center, exam (and dates)
    assert "Medical record number" not in text  # optional lines are left out, not blank


def test_the_authorization_has_every_element_of_164_508_c() -> None:
    text = plain_text(third_party_authorization(FULL, TODAY))
    required = [
        r"Information to be disclosed: .*MRI of the right knee",  # description
        r"Who may disclose it: Harbor Imaging",  # the discloser
        r"Who may receive it: Example Second Opinion Radiology",  # the recipient
        r"Purpose: a second opinion",
        r"expires: one year from the date signed",  # an expiry date or event
        r"Signature: _+",
        r"Date: _+",
        r"personal representative, their authority",
        r"revoke this authorization at any time",
        r"not conditioned on my signing",
        r"may be redisclosed by the recipient",
    ]
    for pattern in required:
        assert re.search(pattern, text), pattern


def test_an_authorization_with_an_end_date() -> None:
    fields = LetterFields(recipient_name="X", expires=date(2027, 6, 30))
    assert "expires: June 30, 2027." in plain_text(third_party_authorization(fields, TODAY))


@pytest.mark.parametrize(
    ("missing", "says"),
    [
        (["dicom"], "pictures (JPEG, PNG or PDF screenshots)"),
        (["report"], "the signed radiology report"),
        (["priors", "fee"], "no search or retrieval fee"),
    ],
)
def test_the_follow_up_names_exactly_what_is_missing(missing: list[str], says: str) -> None:
    letter = wrong_delivery_note(FULL, missing, TODAY)
    assert len(letter.items) == len(missing)
    assert says in plain_text(letter)
