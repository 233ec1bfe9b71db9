"""Shared check: the bot never interprets images, so no text may judge a finding."""

from __future__ import annotations

import re

DIAGNOSTIC_WORDING = re.compile(
    r"\b(?:ab)?normal\b|\bbenign\b|\bmalignan\w*|\bcancer is\b|\btumou?r is\b|\bnothing to worry"
    r"|\bno need to worry|\bnot serious\b|\bis serious\b|\bmisdiagnos\w*|\bmissed\b|\bwrong\b"
    r"|\bmistakes?\b|\bharmless\b|\bnegative for\b|\byou (?:have|don't have) (?:a |an )?"
    r"(?:tumou?r|cancer|fracture|stroke|disease)",
    re.IGNORECASE,
)


def assert_no_diagnostic_wording(text: str) -> None:
    found = DIAGNOSTIC_WORDING.search(text)
    assert found is None, f"diagnostic wording {found.group(0)!r} in: {text}"
