"""The two reports a conversation compared, read back from their encrypted store.

One place for the patient's page and sheet (bot/web/comparison_api.py) and the staff console's
case page, so both show the same comparison of the same texts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.config import Settings
from bot.letters.comparison_pdf import render_comparison_pdf
from bot.letters.store import load_reports
from bot.reports.compare import Comparison, compare
from bot.reports.findings import read_report
from bot.reports.summary import difference_line


@dataclass(frozen=True)
class StoredComparison:
    comparison: Comparison
    impression_a: str  # as written: the impression section, or the whole text without one
    impression_b: str

    @property
    def lines(self) -> list[str]:
        return [difference_line(d) for d in self.comparison.differences]

    def sheet(self, today: date, paper: str | None = None) -> bytes:
        """The printable "bring this to your appointment" PDF: A4 when asked, else Letter."""
        return render_comparison_pdf(self.comparison, self.impression_a, self.impression_b,
                                     today, "a4" if paper == "a4" else "letter")


def load_comparison(settings: Settings, conversation_id: str) -> StoredComparison | None:
    reports = load_reports(settings, conversation_id)
    if reports is None:
        return None
    a, b = (read_report(text) for text in reports)
    return StoredComparison(
        compare(a, b),
        a.sections.impression or reports[0].strip(),
        b.sections.impression or reports[1].strip(),
    )
