"""Reading a photo or scan of a printed report with Tesseract (Debian's `tesseract-ocr`).

Only for a report the patient asked to compare, never for images of the body. Pictures go to
`tesseract` on its standard input; a scanned PDF is first turned into page images by poppler's
`pdftoppm`, in a private temporary directory removed straight after. Each run has a time limit,
reads at most `MAX_PAGES` pages, and any failure (missing program, unreadable file, time out)
is just "no text": the patient is told, never shown an error. Nothing read is logged.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

SECONDS_PER_PAGE = 60
MAX_PAGES = 3
DPI = "200"


def available() -> bool:
    return shutil.which("tesseract") is not None


def image_text(image: bytes) -> str:
    """The text Tesseract reads in one picture (PNG, JPEG, TIFF); "" when it reads none."""
    if not available():
        return ""
    try:
        done = subprocess.run(
            ["tesseract", "stdin", "stdout", "--psm", "3", "-l", "eng"],
            input=image, capture_output=True, timeout=SECONDS_PER_PAGE, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else ""


def scanned_pdf_text(pdf: bytes) -> str:
    """The text of a PDF made of page pictures, page by page."""
    if not available() or shutil.which("pdftoppm") is None:
        return ""
    with tempfile.TemporaryDirectory(prefix="secondread-ocr-") as directory:
        try:
            subprocess.run(
                ["pdftoppm", "-r", DPI, "-gray", "-png", "-f", "1", "-l", str(MAX_PAGES), "-",
                 str(Path(directory) / "page")],
                input=pdf, capture_output=True, timeout=SECONDS_PER_PAGE, check=True,
            )
        except (OSError, subprocess.SubprocessError):
            return ""
        pages = sorted(Path(directory).glob("page*.png"))[:MAX_PAGES]
        return "\n".join(image_text(page.read_bytes()) for page in pages)
