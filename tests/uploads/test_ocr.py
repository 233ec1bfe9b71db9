"""Photos and scans of a printed report read by Tesseract, as the comparison uses them: a page
rendered like a scan, a phone-photo JPEG, a PDF made only of page pictures, and junk."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from reportlab.lib.pagesizes import letter
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from bot.uploads import ocr
from tests.uploads import pages

LINES = (
    "MRI LEFT KNEE WITHOUT CONTRAST",
    "FINDINGS: Complex tear of the posterior horn of the medial meniscus.",
    "The anterior cruciate ligament is intact. Small joint effusion.",
    "IMPRESSION: Medial meniscus tear. Small joint effusion.",
)


def printed_page(tmp_path: Path) -> bytes:
    return pages.printed_page(tmp_path, LINES)


@pytest.fixture(autouse=True)
def _tesseract() -> None:
    assert ocr.available(), "tesseract-ocr is installed by `make deps`"


def test_a_scanned_page_is_read(tmp_path: Path) -> None:
    text = " ".join(ocr.image_text(printed_page(tmp_path)).split())
    assert "IMPRESSION: Medial meniscus tear." in text
    assert "posterior horn of the medial meniscus" in text


def test_a_phone_photo_jpeg_is_read(tmp_path: Path) -> None:
    text = " ".join(ocr.image_text(pages.phone_photo(tmp_path, LINES)).split())
    assert "meniscus tear" in text and "IMPRESSION" in text


def test_a_pdf_of_page_pictures_is_read_page_by_page(tmp_path: Path) -> None:
    scan = Image.open(io.BytesIO(printed_page(tmp_path)))
    pdf = io.BytesIO()
    page = canvas.Canvas(pdf, pagesize=letter)
    for _ in range(2):
        page.drawImage(ImageReader(scan), 0, 0, width=letter[0], height=letter[1])
        page.showPage()
    page.save()
    text = ocr.scanned_pdf_text(pdf.getvalue())
    assert text.count("IMPRESSION") == 2


@pytest.mark.parametrize("junk", [b"", b"not an image at all", b"%PDF-1.4 broken"])
def test_junk_reads_as_no_text(junk: bytes) -> None:
    assert ocr.image_text(junk).strip() == ""
    assert ocr.scanned_pdf_text(junk).strip() == ""


def test_without_tesseract_there_is_no_text_and_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = printed_page(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert ocr.image_text(image) == "" and ocr.scanned_pdf_text(b"%PDF") == ""
