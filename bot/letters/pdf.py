"""A `Letter` as a printable PDF, US Letter or A4.

ReportLab (BSD) rather than WeasyPrint: it is pure Python with wheels for every platform, needs no
Pango/Cairo system libraries on the servers, and lays out a one-page letter in a few
milliseconds. Type is 12 pt on 16 pt leading with wide margins, so the letter reads well printed
and leaves room to sign; blanks are long underscores to fill in by hand.
"""

from __future__ import annotations

import io
from typing import Any, Literal
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.platypus import (
    Flowable,
    ListFlowable,
    ListItem,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
)

from bot.guidance.records_letter import Letter

PAGE_SIZES = {"letter": LETTER, "a4": A4}
BODY = ParagraphStyle("body", fontName="Helvetica", fontSize=12, leading=16, spaceAfter=8)
TITLE = ParagraphStyle("title", parent=BODY, fontName="Helvetica-Bold", fontSize=15, leading=20,
                       spaceAfter=12)


def _paragraph(text: str, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def render_pdf(letter: Letter, paper: Literal["letter", "a4"] = "letter") -> bytes:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=PAGE_SIZES[paper], title=letter.title, author="",
        leftMargin=inch, rightMargin=inch, topMargin=0.9 * inch, bottomMargin=0.9 * inch,
    )
    story: list[Flowable] = [
        _paragraph(letter.title, TITLE),
        _paragraph(letter.date_line),
        _paragraph("\n".join(letter.addressee)),
        Spacer(1, 6),
        *(_paragraph(p) for p in letter.paragraphs),
    ]
    if letter.items:
        bullets: list[Any] = [  # ListItem wraps flowables; the stubs do not say so
            ListItem(_paragraph(item), leftIndent=18) for item in letter.items
        ]
        story.append(ListFlowable(bullets, bulletType="bullet", leftIndent=18))
        story.append(Spacer(1, 8))
    story += [_paragraph(p) for p in letter.closing]
    story.append(Spacer(1, 18))
    story += [_paragraph(line) for line in letter.signature_lines]
    document.build(story)
    return buffer.getvalue()
