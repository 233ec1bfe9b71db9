"""Parsers turn button values and free text into canonical keys, or None when unsure."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest

from bot.guidance import parsing, vocabulary
from bot.guidance.normalize import normalize_text, split_clauses

Parser = Callable[[str | None], str | None]

PARSER_VOCABULARIES: list[tuple[Parser, Mapping[str, str]]] = [
    (parsing.parse_exam_type, vocabulary.EXAM_TYPES),
    (parsing.parse_body_part, vocabulary.BODY_PARTS),
    (parsing.parse_situation, vocabulary.SITUATIONS),
    (parsing.parse_plan_type, vocabulary.PLAN_TYPES),
    (parsing.parse_age_group, vocabulary.AGE_GROUPS),
    (parsing.parse_yes_no, vocabulary.YES_NO),
]

ROUND_TRIPS = [
    pytest.param(parser, key, id=f"{parser.__name__}-{key}")
    for parser, vocab in PARSER_VOCABULARIES
    for key in vocab
]


@pytest.mark.parametrize(("parser", "key"), ROUND_TRIPS)
def test_canonical_key_parses_to_itself(parser: Parser, key: str) -> None:
    assert parser(key) == key
    assert parser(f"  {key.upper()} ") == key


@pytest.mark.parametrize(("parser", "key"), ROUND_TRIPS)
def test_key_with_spaces_for_underscores_parses_to_itself(parser: Parser, key: str) -> None:
    assert parser(key.replace("_", " ")) == key


@pytest.mark.parametrize(
    ("parser", "vocab"), PARSER_VOCABULARIES, ids=[p.__name__ for p, _ in PARSER_VOCABULARIES]
)
@pytest.mark.parametrize("text", [None, "", "   ", "banana", "?!", "hello there"])
def test_unrecognised_text_is_none(
    parser: Parser, vocab: Mapping[str, str], text: str | None
) -> None:
    assert parser(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cat scan", "ct"),
        ("C.T.", "ct"),
        ("CT scan of my belly", "ct"),
        ("a CAT scan", "ct"),
        ("computed tomography", "ct"),
        ("computerized tomography", "ct"),
        ("catscan", "ct"),
        ("magnetic resonance", "mri"),
        ("mri of my knee", "mri"),
        ("M.R.I.", "mri"),
        ("MR brain", "mri"),
        ("MRIs", "mri"),
        ("Mr. Smith ordered a CT", "ct"),
        ("pet-ct", "pet"),
        ("PET/CT", "pet"),
        ("pet scan", "pet"),
        ("sonogram", "ultrasound"),
        ("ultra sound of my liver", "ultrasound"),
        ("doppler", "ultrasound"),
        ("u/s", "ultrasound"),
        ("x ray", "xray"),
        ("X-ray", "xray"),
        ("xrays of my hand", "xray"),
        ("they x-rayed his wrist", "xray"),
        ("got xrayed at urgent care", "xray"),
        ("radiograph", "xray"),
        ("mammo", "mammogram"),
        ("3D mammogram", "mammogram"),
        ("tomosynthesis", "mammogram"),
        ("bone scan", "nuclear"),
        ("nuclear medicine scan", "nuclear"),
        ("SPECT", "nuclear"),
        ("nuc med", "nuclear"),
        ("angiogram", "angiogram"),
        ("CTA of the neck", "angiogram"),
        ("MRA", "angiogram"),
        ("don't know", "unknown"),
        ("not sure", "unknown"),
        ("no idea", "unknown"),
        ("I can't remember", "unknown"),
        ("it wasn't an MRI, it was a CT", "ct"),
    ],
)
def test_parse_exam_type(text: str, expected: str) -> None:
    assert parsing.parse_exam_type(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("head", "brain"),
        ("my brain", "brain"),
        ("skull", "brain"),
        ("lumbar", "spine"),
        ("lower back", "spine"),
        ("back", "spine"),
        ("neck spine", "spine"),
        ("cervical spine", "spine"),
        ("C-spine", "spine"),
        ("herniated disc", "spine"),
        ("thyroid", "head_neck"),
        ("sinus", "head_neck"),
        ("sinuses", "head_neck"),
        ("neck", "head_neck"),
        ("head and neck", "head_neck"),
        ("head & neck", "head_neck"),
        ("lungs", "chest"),
        ("my chest", "chest"),
        ("ribs", "chest"),
        ("heart", "heart"),
        ("cardiac", "heart"),
        ("belly", "abdomen"),
        ("liver", "abdomen"),
        ("kidney", "abdomen"),
        ("kidneys", "abdomen"),
        ("stomach", "abdomen"),
        ("prostate", "pelvis"),
        ("pelvic", "pelvis"),
        ("uterus", "pelvis"),
        ("breast", "breast"),
        ("left breast", "breast"),
        ("boobs", "breast"),
        ("knee", "knee"),
        ("back of my knee", "knee"),
        ("shoulder", "shoulder"),
        ("rotator cuff", "shoulder"),
        ("hip", "hip"),
        ("ankle", "extremity"),
        ("wrist", "extremity"),
        ("foot", "extremity"),
        ("hand", "extremity"),
        ("elbow", "extremity"),
        ("arm", "extremity"),
        ("whole body", "whole_body"),
        ("full body", "whole_body"),
        ("not sure", "unknown"),
        ("don't know", "unknown"),
        ("not my knee, my hip", "hip"),
    ],
)
def test_parse_body_part(text: str, expected: str) -> None:
    assert parsing.parse_body_part(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("surgery", "surgery_planned"),
        ("they want to operate", "surgery_planned"),
        ("an operation next month", "surgery_planned"),
        ("biopsy", "surgery_planned"),
        ("radiation", "surgery_planned"),
        ("my surgeon wants to remove it", "surgery_planned"),
        ("my neurosurgeon wants to fuse two levels", "surgery_planned"),
        ("they're talking about a spinal fusion", "surgery_planned"),
        ("the breast surgeon recommends a lumpectomy", "surgery_planned"),
        ("booked for a hip replacement in june", "surgery_planned"),
        ("possibly kyphoplasty", "surgery_planned"),
        ("a laminotomy was mentioned", "surgery_planned"),
        ("rare", "complex_diagnosis"),
        ("it's complicated", "complex_diagnosis"),
        ("cancer diagnosis", "complex_diagnosis"),
        ("complex", "complex_diagnosis"),
        ("it's not cancer but complicated", "complex_diagnosis"),
        ("tiny spot", "subtle_finding"),
        ("small lesion", "subtle_finding"),
        ("subtle", "subtle_finding"),
        ("MS", "subtle_finding"),
        ("epilepsy", "subtle_finding"),
        ("tumor", "subtle_finding"),
        ("vague", "unclear_report"),
        ("inconclusive", "unclear_report"),
        ("the report was unclear", "unclear_report"),
        ("indeterminate", "unclear_report"),
        ("they can't tell", "unclear_report"),
        ("doesn't match", "clinical_mismatch"),
        ("the report doesn't match my symptoms", "clinical_mismatch"),
        ("doctor disagrees", "clinical_mismatch"),
        ("symptoms don't fit", "clinical_mismatch"),
        ("peace of mind", "peace_of_mind"),
        ("just to be sure", "peace_of_mind"),
        ("reassurance", "peace_of_mind"),
        ("I'm anxious", "peace_of_mind"),
        ("no surgery planned, just peace of mind", "peace_of_mind"),
    ],
)
def test_parse_situation(text: str, expected: str) -> None:
    assert parsing.parse_situation(text) == expected


def test_negated_situation_is_not_matched() -> None:
    assert parsing.parse_situation("they don't want to operate") is None
    assert parsing.parse_situation("they said no fusion is needed") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("medicare advantage", "medicare_advantage"),
        ("Part C", "medicare_advantage"),
        ("Humana Medicare HMO", "medicare_advantage"),
        ("MA plan", "medicare_advantage"),
        ("medicare", "medicare"),
        ("Original Medicare, Part B", "medicare"),
        ("medicaid", "medicaid"),
        ("Medi-Cal", "medicaid"),
        ("state insurance", "medicaid"),
        ("blue cross ppo", "ppo"),
        ("PPO", "ppo"),
        ("kaiser hmo", "hmo"),
        ("HMO", "hmo"),
        ("uninsured", "none"),
        ("no insurance", "none"),
        ("I don't have insurance", "none"),
        ("self pay", "none"),
        ("self-pay", "none"),
        ("without insurance", "none"),
        ("tricare", "other"),
        ("EPO", "other"),
        ("marketplace plan", "other"),
        ("I'm not on Medicare, I have a PPO", "ppo"),
    ],
)
def test_parse_plan_type(text: str, expected: str) -> None:
    assert parsing.parse_plan_type(text) == expected


@pytest.mark.parametrize("text", ["medical", "Kaiser", "Blue Cross"])
def test_brand_or_lookalike_is_not_a_plan_type(text: str) -> None:
    assert parsing.parse_plan_type(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", "yes"),
        ("Yes!", "yes"),
        ("yeah", "yes"),
        ("yep", "yes"),
        ("he did", "yes"),
        ("she has", "yes"),
        ("I think so", "yes"),
        ("sure", "yes"),
        ("yes, no problem", "yes"),
        ("I agree", "yes"),
        ("agreed", "yes"),
        ("go ahead", "yes"),
        ("sounds good", "yes"),
        ("alright", "yes"),
        ("I don't agree", "no"),
        ("I disagree", None),  # not a yes: "agree" inside "disagree" does not count
        ("no", "no"),
        ("No.", "no"),
        ("nope", "no"),
        ("not yet", "no"),
        ("he didn't", "no"),
        ("I don't think so", "no"),
        ("no, not yet", "no"),
        ("not really", "no"),
        ("not sure", "unsure"),
        ("I'm not sure", "unsure"),
        ("don't know", "unsure"),
        ("maybe", "unsure"),
        ("idk", "unsure"),
        ("yes I think, but not sure", "unsure"),
    ],
)
def test_parse_yes_no(text: str, expected: str) -> None:
    assert parsing.parse_yes_no(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'm 45", "adult"),
        ("45", "adult"),
        ("18", "adult"),
        ("17", "child"),
        ("15", "child"),
        ("0", "child"),
        ("120", "adult"),
        ("my 8 year old son", "child"),
        ("my 8-year-old", "child"),
        ("18 months", "child"),
        ("3 weeks old", "child"),
        ("under 18", "child"),
        ("child", "child"),
        ("baby", "child"),
        ("teenager", "child"),
        ("my kid", "child"),
        ("adult", "adult"),
        ("my adult son", "adult"),
        ("me", "adult"),
        ("it's for my mother", "adult"),
        ("my 30 year old son", "adult"),
    ],
)
def test_parse_age_group(text: str, expected: str) -> None:
    assert parsing.parse_age_group(text) == expected


@pytest.mark.parametrize("text", ["121", "130 years", "born in 1980", "my son", "I'm not sure"])
def test_age_group_undecided_is_none(text: str) -> None:
    assert parsing.parse_age_group(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("C.T.", "ct"),
        ("Don't", "dont"),
        ("X-Ray", "x ray"),
        ("Medi-Cal", "medi cal"),
        ("don\u2019t  know!!", "dont know"),
        (None, ""),
    ],
)
def test_normalize_text(text: str | None, expected: str) -> None:
    assert normalize_text(text) == expected


def test_split_clauses_keeps_abbreviations_and_titles_together() -> None:
    assert split_clauses("Dr. Lee ordered a C.T. scan. No pain, but I worry") == (
        "dr lee ordered a ct scan",
        "no pain",
        "i worry",
    )


# Vocabulary helpers


@pytest.mark.parametrize(
    ("vocab", "key", "expected"),
    [
        (vocabulary.EXAM_TYPES, "mri", "MRI"),
        (vocabulary.EXAM_TYPES, None, "scan"),
        (vocabulary.EXAM_TYPES, "banana", "scan"),
        (vocabulary.BODY_PARTS, "extremity", "arm or leg"),
        (vocabulary.BODY_PARTS, None, "body part not given"),
        (vocabulary.PLAN_TYPES, "none", "no insurance (self-pay)"),
        (vocabulary.PLAN_TYPES, None, "not given"),
        (vocabulary.YES_NO, "unsure", "not sure"),
    ],
)
def test_label(vocab: Mapping[str, str], key: str | None, expected: str) -> None:
    assert vocabulary.label(vocab, key) == expected


def test_vocabularies_have_the_agreed_keys() -> None:
    assert set(vocabulary.EXAM_TYPES) == {
        "ct", "mri", "pet", "ultrasound", "xray", "mammogram", "nuclear", "angiogram", "unknown",
    }
    assert set(vocabulary.BODY_PARTS) == {
        "brain", "spine", "head_neck", "chest", "heart", "abdomen", "pelvis", "breast", "knee",
        "shoulder", "hip", "extremity", "whole_body", "unknown",
    }
    assert set(vocabulary.SITUATIONS) == {
        "complex_diagnosis", "subtle_finding", "surgery_planned", "unclear_report",
        "clinical_mismatch", "peace_of_mind",
    }
    assert set(vocabulary.PLAN_TYPES) == {
        "medicare", "medicare_advantage", "hmo", "ppo", "medicaid", "none", "other",
    }
    assert set(vocabulary.AGE_GROUPS) == {"adult", "child"}
    assert set(vocabulary.YES_NO) == {"yes", "no", "unsure"}


@pytest.mark.parametrize(
    ("exam", "body", "expected"),
    [
        ("mri", "brain", "brain MRI"),
        ("xray", "knee", "knee X-ray"),
        ("mammogram", "breast", "mammogram"),
        ("ct", "unknown", "CT scan"),
        (None, "chest", "chest scan"),
        (None, None, "scan"),
        ("pet", "whole_body", "whole body PET/CT scan"),
    ],
)
def test_describe_scan(exam: str | None, body: str | None, expected: str) -> None:
    assert vocabulary.describe_scan(exam, body) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes she suggested it", "yes"),
        ("her oncologist actually brought it up first", "yes"),
        ("it was my surgeon's idea", "yes"),
        ("it was actually my orthopedic surgeon's idea", "yes"),
        ("the neurologist mentioned it", "yes"),
        ("nope, my own idea", "no"),
        ("not sure", "unsure"),
        ("my doctor wants an MRI", None),  # an exam, not the second read
    ],
)
def test_parse_physician_request(text: str, expected: str | None) -> None:
    assert parsing.parse_physician_request(text) == expected
