"""The comparison in chat words, and telling a pasted report from a remark about reports."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.reports.compare import Comparison, Difference, compare
from bot.reports.findings import read_report
from bot.reports.summary import (
    MAX_IN_CHAT,
    PROMPTLY,
    changes_care,
    chat_summary,
    impression_preview,
    looks_like_report,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "reports"


def is_report(text: str) -> bool:
    return looks_like_report(read_report(text), text)


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.yml")), ids=lambda p: p.stem)
def test_every_fixture_report_is_taken(path: Path) -> None:
    pair = yaml.safe_load(path.read_text())
    assert is_report(pair["a"]) and is_report(pair["b"])


@pytest.mark.parametrize("text", [
    "IMPRESSION: No acute intracranial abnormality.",
    "Findings: small left pleural effusion, otherwise clear lungs.",
    "1. 9 mm nodule in the left upper lobe. Lung-RADS 3.",
])
def test_a_short_report_or_impression_alone_is_taken(text: str) -> None:
    assert is_report(text)


@pytest.mark.parametrize("text", [
    "ok here it is",
    "what does the word effusion mean in my report?",
    "the first radiologist said my lungs are clear but the second found a nodule",
    "",
])
def test_remarks_about_reports_are_not_reports(text: str) -> None:
    assert not is_report(text)


def test_the_read_back_impression_is_shortened_at_a_word() -> None:
    text = "IMPRESSION: " + "Stable postoperative changes of the lumbar spine. " * 20
    shown = impression_preview(read_report(text), text, limit=100)
    assert len(shown) <= 100 and shown.endswith("…") and shown.startswith("Stable")


def difference(n: int) -> Difference:
    return Difference("only_in_b", f"cyst {n}", "", f"{n} mm cyst", finding_kind="cyst")


def test_a_long_list_is_cut_with_a_pointer_to_the_page() -> None:
    comparison = Comparison(tuple(difference(n) for n in range(MAX_IN_CHAT + 3)), ())
    text = chat_summary(comparison)
    assert text.count("\n- ") == MAX_IN_CHAT + 1
    assert "and 3 more on the full page" in text
    assert "only in report B. A: not mentioned; B: 1 mm cyst" in text
    assert PROMPTLY not in text and changes_care(comparison)


def test_a_size_difference_alone_does_not_call_for_a_third_opinion() -> None:
    pair = yaml.safe_load((FIXTURES / "18-pet-ct-liver.yml").read_text())
    comparison = compare(read_report(pair["a"]), read_report(pair["b"]))
    assert {d.kind for d in comparison.differences} == {"size"}
    assert not changes_care(comparison)
