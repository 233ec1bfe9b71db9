"""A radiology report's sections: exam, clinical history, technique, comparison, findings,
impression, addendum. Pure.

Reports label their sections in capitals or with a colon ("FINDINGS:", "Impression"), on a line
of their own or followed by the text. Text before the first label is the header (patient lines,
the exam title); a report without labels is all findings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# name → the labels radiologists use for it (matched case-insensitively at a line start).
LABELS: tuple[tuple[str, str], ...] = (
    ("exam", r"exam(?:ination)?|procedure|study|exam type|examination type"),
    ("history", r"clinical (?:history|information|indication)|history|indications?|reason for "
                r"(?:exam|study)|clinical details"),
    ("technique", r"technique|protocol|procedure details"),
    ("comparison", r"comparisons?|prior studies|priors"),
    ("findings", r"findings|report|description|observations"),
    ("impression", r"impressions?|conclusions?|opinion|summary|diagnosis|assessment"),
    ("recommendation", r"recommendations?|advice|plan"),
    ("addendum", r"addend(?:um|a)"),
)
_LABEL = re.compile(
    r"(?im)^[ \t]*(" + "|".join(f"(?:{words})" for _, words in LABELS) + r")[ \t]*(?::|$|(?=\n))"
)


@dataclass(frozen=True)
class Sections:
    header: str
    parts: dict[str, str]  # section name → its text (sections named twice are joined)

    def get(self, name: str) -> str:
        return self.parts.get(name, "")

    @property
    def impression(self) -> str:
        return self.get("impression")

    @property
    def body(self) -> str:
        """Where findings are stated: findings, impression, recommendation and addendum."""
        return "\n".join(
            self.get(name) for name in ("findings", "impression", "recommendation", "addendum")
            if self.get(name)
        )


def _name_of(label: str) -> str:
    clean = " ".join(label.lower().split())
    for name, words in LABELS:
        if re.fullmatch(words, clean):
            return name
    return "findings"


def has_section_labels(text: str) -> bool:
    """Whether the text names any report section ("FINDINGS:", "Impression", ...)."""
    return _LABEL.search(text) is not None


def split_sections(text: str) -> Sections:
    matches = list(_LABEL.finditer(text))
    if not matches:
        return Sections(header="", parts={"findings": text.strip()})
    parts: dict[str, str] = {}
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        end = following.start() if following else len(text)
        content = text[match.end() : end].strip(" \t:\n")
        name = _name_of(match.group(1))
        parts[name] = f"{parts[name]}\n{content}".strip() if name in parts else content
    return Sections(header=text[: matches[0].start()].strip(), parts=parts)
