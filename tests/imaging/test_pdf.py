"""PDF reports: recognised by their sections, exam and date; everything else set aside."""

from __future__ import annotations

import io
from datetime import date

import pytest
from pypdf import PdfWriter

from bot.imaging.pdf import PdfKind, exam_date, inspect_pdf
from tests.fixtures import dicom_factory as factory


def test_text_report() -> None:
    finding = inspect_pdf(io.BytesIO(factory.text_pdf_bytes()), 30)
    assert finding.kind is PdfKind.REPORT
    assert (finding.exam_type, finding.body_part) == ("ct", "brain")
    assert finding.exam_date == date(2026, 11, 12)
    assert finding.pages == 1


def test_report_without_exam_line_uses_its_title() -> None:
    lines = ("MRI OF THE LEFT KNEE", "Date of service: March 3, 2025", "FINDINGS: text.",
             "IMPRESSION: text.")
    finding = inspect_pdf(io.BytesIO(factory.text_pdf_bytes(lines)), 30)
    assert finding.kind is PdfKind.REPORT
    assert (finding.exam_type, finding.body_part) == ("mri", "knee")
    assert finding.exam_date == date(2025, 3, 3)


def test_mammogram_report() -> None:
    lines = ("Examination: BILATERAL SCREENING MAMMOGRAM WITH TOMOSYNTHESIS",
             "Study Date: 2026-02-01", "FINDINGS", "Text.", "IMPRESSION", "BI-RADS 1.")
    finding = inspect_pdf(io.BytesIO(factory.text_pdf_bytes(lines)), 30)
    assert finding.kind is PdfKind.REPORT
    assert (finding.exam_type, finding.body_part) == ("mammogram", "breast")
    assert finding.exam_date == date(2026, 2, 1)


def test_invoice_is_not_a_report() -> None:
    finding = inspect_pdf(io.BytesIO(factory.text_pdf_bytes(factory.INVOICE_LINES)), 30)
    assert finding.kind is PdfKind.OTHER


def test_one_section_word_alone_is_not_a_report() -> None:
    lines = ("Dear patient,", "The findings of our survey are below.", "Findings: we are great.")
    assert inspect_pdf(io.BytesIO(factory.text_pdf_bytes(lines)), 30).kind is PdfKind.OTHER


def test_scanned_report() -> None:
    finding = inspect_pdf(io.BytesIO(factory.scanned_pdf_bytes(pages=2)), 30)
    assert finding.kind is PdfKind.SCANNED
    assert finding.pages == 2


def test_blank_pdf() -> None:
    finding = inspect_pdf(io.BytesIO(factory.text_pdf_bytes(())), 30)
    assert finding.kind is PdfKind.EMPTY


def test_password_protected_pdf() -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt(user_password="secret", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    assert inspect_pdf(io.BytesIO(out.getvalue()), 30).kind is PdfKind.PROTECTED


def test_owner_only_encryption_is_read() -> None:
    writer = PdfWriter(clone_from=io.BytesIO(factory.text_pdf_bytes()))
    writer.encrypt(user_password="", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    assert inspect_pdf(io.BytesIO(out.getvalue()), 30).kind is PdfKind.REPORT


@pytest.mark.parametrize("data", [b"%PDF-1.4\n", b"%PDF-1.4\n1 0 obj <<", b"%PDF-" + bytes(500)])
def test_damaged_pdf_never_raises(data: bytes) -> None:
    assert inspect_pdf(io.BytesIO(data), 30).kind in (PdfKind.DAMAGED, PdfKind.EMPTY)


def test_only_the_first_pages_are_read() -> None:
    data = factory.text_pdf_bytes(factory.INVOICE_LINES * 10, pages=200)
    finding = inspect_pdf(io.BytesIO(data), 3)
    assert finding.kind is PdfKind.OTHER
    assert finding.pages == 200


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Exam date: 11/12/2026", date(2026, 11, 12)),
        ("Date: 13/11/2026", date(2026, 11, 13)),
        ("Exam date: 12.11.2026", date(2026, 11, 12)),
        ("Study performed on 12 Nov 2026", date(2026, 11, 12)),
        ("DOB: 01/01/1970  Exam Date: 2026-11-12", date(2026, 11, 12)),
        ("Birth Date: 01/01/1970", None),
        ("Date of birth: 1/1/1970\nSigned 11/13/2026", None),
        ("Patient DOB 01/01/1970\nNovember 12, 2026", date(2026, 11, 12)),
        ("Exam date: 31/02/2026", None),
        ("Exam date: 11/12/1850", None),
    ],
)
def test_exam_dates(text: str, expected: date | None) -> None:
    assert exam_date(text) == expected
