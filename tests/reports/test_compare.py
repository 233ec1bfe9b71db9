"""Comparing two reports: the hand-written pairs of tests/fixtures/reports/ and the rules that
keep the comparison honest."""

from __future__ import annotations

from bot.reports.compare import compare
from bot.reports.findings import read_report
from tests.reports.pairs import precision_recall, score_pairs


def test_every_expected_difference_is_found_and_nothing_else() -> None:
    scored = score_pairs()
    assert len(scored) >= 20
    precision, recall = precision_recall(scored)
    problems = {s.name: (sorted(s.missed.elements()), sorted(s.extra.elements(), key=str))
                for s in scored if s.missed or s.extra}
    assert precision >= 0.9 and recall >= 0.9, problems


def test_a_negative_only_one_reader_lists_is_not_a_difference() -> None:
    a = read_report("FINDINGS: 5 mm nodule in the right upper lobe. No pleural effusion.")
    b = read_report("FINDINGS: 5 mm nodule in the right upper lobe.")
    comparison = compare(a, b)
    assert comparison.differences == ()
    assert [agreement.subject for agreement in comparison.agreements] == [
        "nodule, right upper lobe"
    ]


def test_an_urgent_category_marks_the_comparison_urgent() -> None:
    a = read_report("IMPRESSION: Benign-appearing mass. BI-RADS 2.")
    b = read_report("IMPRESSION: Suspicious mass. BI-RADS 5.")
    comparison = compare(a, b)
    (category,) = [d for d in comparison.differences if d.kind == "category"]
    assert (category.a, category.b) == ("BI-RADS 2", "BI-RADS 5")
    assert comparison.urgent


def test_the_same_report_twice_has_no_differences() -> None:
    text = "FINDINGS: 8 mm right lower lobe nodule. Small left effusion. Lung-RADS 3."
    comparison = compare(read_report(text), read_report(text))
    assert comparison.differences == () and not comparison.urgent


def test_questions_for_the_doctor_follow_the_differences() -> None:
    from bot.reports.doctor_questions import THIRD_OPINION, doctor_questions

    a = read_report("FINDINGS: No pleural effusion. IMPRESSION: Normal. BI-RADS 1.")
    b = read_report("FINDINGS: Small right pleural effusion. A 6 mm nodule in the right lower "
                    "lobe. IMPRESSION: BI-RADS 2.")
    questions = doctor_questions(compare(a, b))
    assert questions[0].startswith("Report A says effusion")
    assert any("Report B mentions nodule, right lower lobe (present, 6 mm)" in q
               for q in questions)
    assert any("BI-RADS 1" in q and "BI-RADS 2" in q for q in questions)
    assert questions[-1] == THIRD_OPINION
    # They ask the doctor; they never say which report is right.
    verdicts = ("is right", "is wrong", "is correct", "more accurate", "mistake")
    assert not any(word in q.lower() for q in questions for word in verdicts)
    assert doctor_questions(compare(a, a)) == []


def test_every_finding_kind_has_plain_words() -> None:
    from bot.reports.glossary import GLOSSARY
    from bot.reports.vocabulary import KINDS

    assert {kind for kind, _ in KINDS} <= set(GLOSSARY)
