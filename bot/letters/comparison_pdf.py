"""The "bring this to your appointment" sheet: both impressions as written, the differences
side by side with plain words for each term, and the questions for the doctor. ReportLab, like
the letters (bot/letters/pdf.py); US Letter or A4."""

from __future__ import annotations

import io
from datetime import date
from typing import Literal
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from bot.letters.pdf import BODY, PAGE_SIZES, TITLE
from bot.reports.compare import Comparison, Difference
from bot.reports.doctor_questions import doctor_questions
from bot.reports.glossary import plain_words
from bot.reports.summary import KIND_LABELS, NOT_A_DIAGNOSIS, PROMPTLY

HEADING = ParagraphStyle("heading", parent=BODY, fontName="Helvetica-Bold", fontSize=13,
                         leading=17, spaceBefore=10, spaceAfter=6)
CELL = ParagraphStyle("cell", parent=BODY, fontSize=10, leading=13, spaceAfter=0)
QUOTE = ParagraphStyle("quote", parent=BODY, fontSize=11, leading=14, leftIndent=12)
URGENT = ParagraphStyle("urgent", parent=BODY, fontName="Helvetica-Bold",
                        textColor=colors.HexColor("#8a1c1c"))
def _p(text: str, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _subject(difference: Difference) -> str:
    term = difference.finding_kind or difference.subject
    words = plain_words(term)
    return f"{difference.subject}\n({words})" if words else difference.subject


def render_comparison_pdf(
    comparison: Comparison, impression_a: str, impression_b: str, today: date,
    paper: Literal["letter", "a4"] = "letter",
) -> bytes:
    buffer = io.BytesIO()
    width, _ = PAGE_SIZES[paper]
    document = SimpleDocTemplate(
        buffer, pagesize=PAGE_SIZES[paper], title="Two reports side by side", author="",
        leftMargin=0.8 * inch, rightMargin=0.8 * inch, topMargin=0.8 * inch,
        bottomMargin=0.8 * inch,
    )
    story: list[Flowable] = [_p("Two reports side by side: for your appointment", TITLE),
                             _p(f"Prepared {today:%B} {today.day}, {today.year}")]
    if comparison.urgent:
        story.append(_p(PROMPTLY, URGENT))
    story.append(_p(NOT_A_DIAGNOSIS))
    story += [_p("Report A: impression, as written", HEADING), _p(impression_a or "-", QUOTE),
              _p("Report B: impression, as written", HEADING), _p(impression_b or "-", QUOTE)]
    story.append(_p("Where they differ", HEADING))
    if comparison.differences:
        rows = [[_p("What", CELL), _p("Difference", CELL), _p("Report A", CELL),
                 _p("Report B", CELL)]]
        rows += [[_p(_subject(d), CELL), _p(KIND_LABELS[d.kind].capitalize(), CELL),
                  _p(d.a or "not mentioned", CELL), _p(d.b or "not mentioned", CELL)]
                 for d in comparison.differences]
        usable = width - 1.6 * inch
        table = Table(rows, colWidths=[usable * f for f in (0.3, 0.2, 0.25, 0.25)],
                      repeatRows=1)
        table.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]))
        story.append(table)
    else:
        story.append(_p("The reader found no difference between the two reports' findings."))
    if comparison.agreements:
        story.append(_p("Where they agree", HEADING))
        story += [_p(f"- {a.subject}: {a.a}") for a in comparison.agreements]
    questions = doctor_questions(comparison)
    if questions:
        story.append(_p("Questions for your doctor", HEADING))
        story += [_p(f"{n}. {q}") for n, q in enumerate(questions, 1)]
    story += [Spacer(1, 12), _p("Notes:"), _p("_" * 60), _p("_" * 60)]
    document.build(story)
    return buffer.getvalue()
