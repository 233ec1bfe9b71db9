"""The side-by-side sheet for the appointment, read back and rendered to PNG."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
import yaml

from bot.letters.comparison_pdf import NOT_A_DIAGNOSIS, PROMPTLY, render_comparison_pdf
from bot.reports.compare import compare
from bot.reports.findings import read_report
from tests.letters.test_pdf import text_of
from tests.reports.pairs import PAIRS

TODAY = date(2026, 12, 4)


def sheet(pair: str, paper: str = "letter") -> tuple[bytes, str]:
    raw = yaml.safe_load((PAIRS / f"{pair}.yml").read_text())
    a, b = read_report(raw["a"]), read_report(raw["b"])
    pdf = render_comparison_pdf(compare(a, b), a.impression, b.impression, TODAY,
                                paper)  # type: ignore[arg-type]
    return pdf, " ".join(text_of(pdf).split())


def test_both_impressions_the_differences_the_words_and_the_questions() -> None:
    _, text = sheet("01-ct-chest-nodule-size")
    assert "6 mm right lower lobe nodule. Lung-RADS 2." in text  # A, verbatim
    assert "12 mm right lower lobe nodule. Lung-RADS 4A." in text  # B, verbatim
    assert "Different size" in text and "6 x 5 mm" in text and "12 x 9 mm" in text
    assert "a small, roundish spot" in text  # plain words next to "nodule"
    assert "Questions for your doctor" in text and "third opinion" in text
    assert " ".join(NOT_A_DIAGNOSIS.split()) in text
    assert "None" not in text and "null" not in text


def test_an_urgent_category_puts_contact_your_doctor_first() -> None:
    _, text = sheet("11-mammogram-birads")
    assert text.index(" ".join(PROMPTLY.split())[:40]) < text.index("Report A: impression")
    _, calm = sheet("21-ct-chest-agree")
    assert "promptly" not in calm
    assert "found no difference" in calm and "Where they agree" in calm


@pytest.mark.parametrize(("paper", "size"), [("letter", (8.5, 11)), ("a4", (8.27, 11.69))])
def test_renders_to_one_or_two_pages(paper: str, size: tuple[float, float],
                                     tmp_path: Path) -> None:
    from PIL import Image

    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "poppler-utils is installed by `make deps` (pdftoppm)"
    pdf, _ = sheet("26-ct-abdomen-pancreas", paper)
    (tmp_path / "sheet.pdf").write_bytes(pdf)
    subprocess.run([pdftoppm, "-r", "20", "-png", str(tmp_path / "sheet.pdf"),
                    str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert 1 <= len(pages) <= 2
    with Image.open(pages[0]) as image:
        assert abs(image.size[0] / 20 - size[0]) < 0.1
        assert image.convert("L").getextrema()[0] < 128
