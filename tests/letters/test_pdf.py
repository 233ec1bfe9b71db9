"""The letters as printable PDFs: read back, rendered to PNG by poppler's pdftoppm."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from bot.guidance.records_letter import (
    LetterFields,
    access_request,
    third_party_authorization,
    wrong_delivery_note,
)
from bot.letters.pdf import render_pdf
from tests.letters.test_records_letter import FULL, TODAY

LETTERS = {
    "request": access_request(FULL, TODAY),
    "request-empty": access_request(LetterFields(), TODAY),
    "authorization": third_party_authorization(FULL, TODAY),
    "follow-up": wrong_delivery_note(FULL, ["dicom", "report", "priors", "fee"], TODAY),
}


def text_of(pdf: bytes) -> str:
    return " ".join(" ".join((page.extract_text() or "").split()) for page in
                    PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_every_field_is_in_the_pdf_and_nothing_says_none(paper: str) -> None:
    text = text_of(render_pdf(LETTERS["request"], paper))  # type: ignore[arg-type]
    for field in ("Janet Quillfeather", "August 23, 1971", "janet.quillfeather@example.org",
                  "Harbor Imaging", "12 Pier Road, Salem, MA 01970", "MRI of the right knee",
                  "October 2, 2026", "HI-448812", "Example Second Opinion Radiology",
                  "45 CFR 164.524", "DICOM", "Signature:"):
        assert field in text, field
    assert "None" not in text and "null" not in text


def test_an_empty_letter_prints_blanks() -> None:
    text = text_of(render_pdf(LETTERS["request-empty"]))
    assert "None" not in text and "____" in text


@pytest.mark.parametrize(("name", "paper", "size"), [
    (name, paper, size) for name in LETTERS
    for paper, size in (("letter", (8.5, 11)), ("a4", (8.27, 11.69)))
])
def test_renders_to_one_or_two_pages_of_the_right_size(
    name: str, paper: str, size: tuple[float, float], tmp_path: Path
) -> None:
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "poppler-utils is installed by `make deps` (pdftoppm)"
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(render_pdf(LETTERS[name], paper))  # type: ignore[arg-type]
    subprocess.run([pdftoppm, "-r", "20", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert 1 <= len(pages) <= 2
    with Image.open(pages[0]) as image:
        width, height = image.size
    assert abs(width / 20 - size[0]) < 0.1 and abs(height / 20 - size[1]) < 0.1
    # Something is printed on the page (not a blank render).
    with Image.open(pages[0]) as image:
        assert image.convert("L").getextrema()[0] < 128

