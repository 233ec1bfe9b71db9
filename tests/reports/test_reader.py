"""Reading one report: sections, negation and uncertainty, measurements, categories and
recommendations (bot/reports)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.reports.context import ABSENT, PRESENT, UNCERTAIN
from bot.reports.findings import read_report
from bot.reports.measures import Category, categories, is_urgent, sizes_differ, sizes_mm
from bot.reports.recommendations import recommendations
from bot.reports.sections import split_sections

REPORT = """Patient: Test Person   MRN: 000
EXAM: MRI LEFT KNEE WITHOUT CONTRAST
Exam date: 02/11/2026
CLINICAL HISTORY: Twisting injury.
TECHNIQUE: Multiplanar multisequence imaging.
COMPARISON: None.
FINDINGS:
Menisci: Vertical tear of the posterior horn of the medial meniscus.
Ligaments: The cruciate ligaments are intact. No collateral ligament tear.
Other: Moderate joint effusion.
IMPRESSION:
1. Medial meniscus tear.
2. Moderate effusion.
ADDENDUM: Images were reviewed again; no change.
"""


def test_sections_are_split_by_their_labels() -> None:
    sections = split_sections(REPORT)
    assert sections.header.startswith("Patient:")
    assert sections.get("exam") == "MRI LEFT KNEE WITHOUT CONTRAST\nExam date: 02/11/2026"
    assert sections.get("history") == "Twisting injury."
    assert sections.get("technique") == "Multiplanar multisequence imaging."
    assert sections.get("comparison") == "None."
    assert sections.get("findings").startswith("Menisci: Vertical tear")
    assert sections.impression == "1. Medial meniscus tear.\n2. Moderate effusion."
    assert sections.get("addendum") == "Images were reviewed again; no change."


def test_a_report_without_labels_is_all_findings() -> None:
    assert split_sections("Normal chest radiograph.").parts == {
        "findings": "Normal chest radiograph."
    }


def test_the_exam_its_date_and_one_finding_per_thing_said_twice() -> None:
    report = read_report(REPORT)
    assert (report.exam_type, report.body_part, report.exam_date) == (
        "mri", "knee", date(2026, 2, 11),
    )  # fmt: skip
    tears = [f for f in report.findings if f.kind == "tear" and f.assertion == PRESENT]
    assert len(tears) == 1  # the findings' tear and the impression's are one
    assert tears[0].site == "posterior horn of the medial meniscus"
    assert tears[0].organ == "meniscus"
    ruled_out = [f for f in report.findings if f.kind == "tear" and f.assertion == ABSENT]
    assert [f.organ for f in ruled_out] == ["collateral ligament"]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("No pleural effusion or pneumothorax.", {"effusion": ABSENT, "pneumothorax": ABSENT}),
        ("Small left pleural effusion.", {"effusion": PRESENT}),
        ("A nodule cannot be excluded.", {"nodule": UNCERTAIN}),
        ("Possible small fracture of the distal radius.", {"fracture": UNCERTAIN}),
        ("The previously seen nodule has resolved.", {"nodule": ABSENT}),
        ("Lymph nodes are not enlarged.", {"lymph node": ABSENT}),
        ("No effusion, but there is a 4 mm nodule.", {"effusion": ABSENT, "nodule": PRESENT}),
        ("Probably benign 5 mm mass in the left breast.", {"mass": PRESENT}),
    ],
)
def test_present_absent_or_uncertain(sentence: str, expected: dict[str, str]) -> None:
    found = {f.kind: f.assertion for f in read_report(sentence).findings}
    assert found == expected


def test_change_over_time() -> None:
    findings = read_report(
        "New 6 mm nodule in the right upper lobe. Stable 4 mm nodule in the left lower lobe."
    ).findings
    assert [(f.site, f.change) for f in findings] == [
        ("right upper lobe", "new"), ("left lower lobe", "stable"),
    ]  # fmt: skip


def test_sizes_in_mm_and_cm_with_several_dimensions() -> None:
    assert [dims for _, _, dims in sizes_mm("a 2.4 x 1.9 cm mass and a 7 mm node")] == [
        (24.0, 19.0), (7.0,),
    ]  # fmt: skip
    assert sizes_mm("3 x 4 x 5 mm") [0][2] == (3.0, 4.0, 5.0)
    assert not sizes_differ((6.0,), (7.5,))  # within what two readers measure
    assert sizes_differ((6.0,), (11.0,))


def test_categories_of_every_system() -> None:
    text = ("BI-RADS 4A. LI-RADS LR-5. Lung-RADS category 2. PI-RADS 4. ACR TI-RADS TR3. "
            "O-RADS 3.")
    assert [c.label for c in categories(text)] == [
        "BI-RADS 4A", "LI-RADS 5", "Lung-RADS 2", "PI-RADS 4", "TI-RADS 3", "O-RADS 3",
    ]  # fmt: skip
    assert is_urgent(Category("BI-RADS", "4A")) and not is_urgent(Category("BI-RADS", "3"))
    assert is_urgent(Category("LI-RADS", "5")) and not is_urgent(Category("Lung-RADS", "2"))


def test_recommendations_with_exam_and_interval() -> None:
    found = recommendations([
        "Recommend follow-up CT in 3 months.",
        "Ultrasound-guided biopsy is recommended.",
        "Clinical correlation is recommended.",  # boilerplate, not a plan
        "No follow-up imaging is needed for this finding.",
        "Follow-up MRI in 1 year.",
    ])  # fmt: skip
    assert [r.label for r in found] == [
        "follow-up imaging CT in 3 months", "biopsy", "no follow-up",
        "follow-up imaging MRI in 12 months",
    ]  # fmt: skip
