"""The comparison in words for the chat, and the check that a pasted text is a report.

Pure. The chat gets a compact list (it fits a phone and a Telegram message); the full table,
both impressions verbatim and the questions for the doctor are on the page and the PDF. Every
term gets its plain words from the glossary; nothing says which report is right.
"""

from __future__ import annotations

from bot.reports.compare import Comparison, Difference
from bot.reports.doctor_questions import CHANGES_CARE
from bot.reports.findings import ReadReport
from bot.reports.glossary import plain_words
from bot.reports.sections import has_section_labels

KIND_LABELS = {
    "presence": "present in one, not the other",
    "only_in_a": "only in report A",
    "only_in_b": "only in report B",
    "side": "different side",
    "size": "different size",
    "category": "different category",
    "recommendation": "different recommendation",
}
PROMPTLY = (
    "One of the reports uses a category or words that call for prompt action. Please contact "
    "your doctor promptly; don't wait for a routine appointment."
)
NOT_A_DIAGNOSIS = (
    "This lists where the two reports differ, word for word as far as possible. It doesn't say "
    "which report is right or what a finding means for you: that is for your doctor, who knows "
    "your history and can look at the images."
)
MAX_IN_CHAT = 6
MIN_REPORT_CHARS = 40


def looks_like_report(read: ReadReport, text: str) -> bool:
    """A radiology report (or at least its impression): labelled sections, or findings with a
    measurement or category, or findings in a text longer than a remark about the reports."""
    if len(text.strip()) < MIN_REPORT_CHARS:
        return False
    if has_section_labels(text):
        return True
    # An impression pasted alone: findings with a size or a category, or a longer text.
    measured = any(f.size_mm for f in read.findings) or bool(read.categories)
    return bool(read.findings) and (measured or len(text) >= 160)


def impression_preview(read: ReadReport, text: str, limit: int = 280) -> str:
    """What the patient is shown back to confirm: the impression as written (or the start)."""
    shown = " ".join((read.sections.impression or read.sections.body or text).split())
    return shown if len(shown) <= limit else shown[: limit - 1].rsplit(" ", 1)[0] + "…"


def subject_in_plain_words(difference: Difference) -> str:
    words = plain_words(difference.finding_kind or difference.subject)
    return f"{difference.subject} ({words})" if words else difference.subject


def difference_line(difference: Difference) -> str:
    d = difference
    return (
        f"{subject_in_plain_words(d)}: {KIND_LABELS[d.kind]}. "
        f"A: {d.a or 'not mentioned'}; B: {d.b or 'not mentioned'}"
    )


def changes_care(comparison: Comparison) -> bool:
    return any(d.kind in CHANGES_CARE for d in comparison.differences)


def chat_summary(comparison: Comparison) -> str:
    """The comparison for the chat: urgency first, the differences as a list, what is next."""
    lines: list[str] = []
    if comparison.urgent:
        lines += [PROMPTLY, ""]  # plain: Telegram shows markup characters as typed
    count = len(comparison.differences)
    if count == 0:
        lines.append(
            "I found no difference between the findings of the two reports (the wording may "
            "still differ). Your doctor can confirm that they say the same."
        )
    else:
        lines.append(
            f"Where the reports differ ({count} {'difference' if count == 1 else 'differences'}"
            ", A = the first report, B = the second):"
        )
        lines += [f"- {difference_line(d)}" for d in comparison.differences[:MAX_IN_CHAT]]
        if count > MAX_IN_CHAT:
            lines.append(f"- and {count - MAX_IN_CHAT} more on the full page")
    if comparison.agreements:
        agreed = ", ".join(a.subject for a in comparison.agreements[:4])
        lines += ["", f"They agree on: {agreed}."]
    lines += ["", NOT_A_DIAGNOSIS]
    return "\n".join(lines)
