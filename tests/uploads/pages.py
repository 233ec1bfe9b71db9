"""A report printed on a page, scanned or photographed: the pictures OCR tests read."""

from __future__ import annotations

import io
import shutil
import subprocess
import textwrap
from collections.abc import Sequence
from pathlib import Path

from PIL import Image
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas


def printed_page(tmp_path: Path, lines: Sequence[str]) -> bytes:
    """The lines printed on a letter page (wrapped at 80 characters) and scanned at 200 dpi:
    a PNG."""
    pdf = tmp_path / "printed.pdf"
    page = canvas.Canvas(str(pdf), pagesize=letter)
    page.setFont("Helvetica", 12)
    wrapped = [part for line in lines for part in textwrap.wrap(line, 80) or [""]]
    for n, line in enumerate(wrapped):
        page.drawString(72, 700 - 20 * n, line)
    page.save()
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "poppler-utils is installed by `make deps`"
    subprocess.run([pdftoppm, "-r", "200", "-png", "-singlefile", str(pdf),
                    str(tmp_path / "scan")], check=True)
    return (tmp_path / "scan.png").read_bytes()


def phone_photo(tmp_path: Path, lines: Sequence[str]) -> bytes:
    """The printed page photographed a little askew and saved as a compressed JPEG, as a phone
    (or Telegram, which re-encodes every photo) would."""
    scan = Image.open(io.BytesIO(printed_page(tmp_path, lines))).convert("RGB")
    photo = scan.rotate(1.5, fillcolor="white")
    jpeg = io.BytesIO()
    photo.save(jpeg, "JPEG", quality=70)
    return jpeg.getvalue()
