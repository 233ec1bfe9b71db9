"""Journey 3: which subspecialist fits an exam, with the NUCC code from the notes' table."""

from __future__ import annotations

import itertools
import re

import pytest

from bot.guidance import vocabulary
from bot.guidance.subspecialty import (
    GENERAL_TIPS,
    SUBSPECIALTIES,
    SubspecialtySuggestion,
    subspecialty_label,
    suggest_subspecialty,
)

from ._wording import assert_no_diagnostic_wording

NOTES_CODES = {
    "2085R0202X", "2085N0700X", "2085P0229X", "2085N0904X", "2085R0204X", "2085B0100X",
    "2085U0001X", "2085D0003X", "207UN0902X",
}


@pytest.mark.parametrize(
    ("exam", "body", "age", "key", "code"),
    [
        # Any exam of a child: pediatric, whatever else is true.
        ("mri", "brain", "child", "pediatric", "2085P0229X"),
        ("mammogram", "breast", "child", "pediatric", "2085P0229X"),
        ("pet", "whole_body", "child", "pediatric", "2085P0229X"),
        (None, None, "child", "pediatric", "2085P0229X"),
        # Neuroradiology: brain, spine, head and neck CT/MR/angiogram.
        ("mri", "brain", "adult", "neuroradiology", "2085N0700X"),
        ("ct", "spine", "adult", "neuroradiology", "2085N0700X"),
        ("ct", "head_neck", None, "neuroradiology", "2085N0700X"),
        ("angiogram", "brain", "adult", "neuroradiology", "2085N0700X"),
        ("unknown", "brain", "adult", "neuroradiology", "2085N0700X"),
        # Musculoskeletal: joints and limbs, MRI/CT/X-ray.
        ("mri", "knee", "adult", "musculoskeletal", "2085R0202X"),
        ("ct", "shoulder", "adult", "musculoskeletal", "2085R0202X"),
        ("xray", "hip", "adult", "musculoskeletal", "2085R0202X"),
        ("mri", "extremity", None, "musculoskeletal", "2085R0202X"),
        # Breast imaging: mammogram or anything of the breast.
        ("mammogram", None, "adult", "breast_imaging", "2085R0202X"),
        ("ultrasound", "breast", "adult", "breast_imaging", "2085R0202X"),
        ("mri", "breast", "adult", "breast_imaging", "2085R0202X"),
        # Nuclear: PET and nuclear medicine.
        ("pet", "whole_body", "adult", "nuclear_radiology", "2085N0904X"),
        ("pet", "brain", "adult", "nuclear_radiology", "2085N0904X"),
        ("nuclear", "spine", "adult", "nuclear_radiology", "2085N0904X"),
        # Cardiothoracic: the heart.
        ("ct", "heart", "adult", "cardiothoracic", "2085R0202X"),
        ("mri", "heart", "adult", "cardiothoracic", "2085R0202X"),
        # Body imaging: chest, abdomen, pelvis CT/MR/US.
        ("ct", "chest", "adult", "body_imaging", "2085B0100X"),
        ("mri", "abdomen", "adult", "body_imaging", "2085B0100X"),
        ("ultrasound", "pelvis", "adult", "body_imaging", "2085B0100X"),
        (None, "abdomen", None, "body_imaging", "2085B0100X"),
        # Vascular and interventional: angiograms outside the head and neck.
        ("angiogram", "extremity", "adult", "vascular_interventional", "2085R0204X"),
        ("angiogram", "abdomen", "adult", "vascular_interventional", "2085R0204X"),
        ("angiogram", None, "adult", "vascular_interventional", "2085R0204X"),
        # Everything else: general diagnostic radiology.
        ("xray", "chest", "adult", "general", "2085R0202X"),
        ("ultrasound", "knee", "adult", "general", "2085R0202X"),
        ("xray", "spine", "adult", "general", "2085R0202X"),
        ("ct", "whole_body", "adult", "general", "2085R0202X"),
        (None, None, None, "general", "2085R0202X"),
        ("unknown", "unknown", "adult", "general", "2085R0202X"),
    ],
)
def test_subspecialty_table(
    exam: str | None, body: str | None, age: str | None, key: str, code: str
) -> None:
    suggestion = suggest_subspecialty(exam, body, age)
    assert (suggestion.key, suggestion.nucc_code) == (key, code)


@pytest.mark.parametrize(
    ("exam", "body", "area"),
    [
        ("mri", "knee", "musculoskeletal"),
        ("mammogram", "breast", "breast imaging"),
        ("ct", "heart", "cardiothoracic"),
    ],
)
def test_areas_without_a_code_say_to_look_for_a_stated_focus(
    exam: str, body: str, area: str
) -> None:
    suggestion = suggest_subspecialty(exam, body, "adult")
    assert suggestion.nucc_code == "2085R0202X"
    assert suggestion.nucc_name == "Radiology, Diagnostic Radiology"
    assert f"ask a practice whether it has a {area} focus" in suggestion.reason


def test_nuclear_mentions_nuclear_medicine_physicians() -> None:
    suggestion = suggest_subspecialty("pet", "chest", "adult")
    assert "nuclear medicine physicians" in suggestion.reason
    assert suggestion.nucc_name == "Radiology, Nuclear Radiology"


EVERY_COMBINATION = list(
    itertools.product(
        [*vocabulary.EXAM_TYPES, None], [*vocabulary.BODY_PARTS, None],
        [*vocabulary.AGE_GROUPS, None],
    )
)


def test_every_combination_gives_a_known_code_and_the_tips() -> None:
    for exam, body, age in EVERY_COMBINATION:
        suggestion = suggest_subspecialty(exam, body, age)
        case = f"{exam}/{body}/{age}"
        assert suggestion.key in SUBSPECIALTIES, case
        assert suggestion.nucc_code in NOTES_CODES, case
        tips = " ".join(suggestion.tips)
        assert "academic medical centers" in tips, case
        assert "referral" in tips, case
        assert "NPI record is not a board certification" in tips, case
        if age == "child":
            assert suggestion.key == "pediatric", case
        text = suggestion.as_text()
        assert suggestion.name in text and suggestion.nucc_code not in text, case
        assert_no_diagnostic_wording(text)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("neuroradiology", "neuroradiology"),
        ("musculoskeletal", "musculoskeletal radiology"),
        ("pediatric", "pediatric radiology"),
        ("breast_imaging", "breast imaging"),
        ("body_imaging", "body imaging"),
        ("cardiothoracic", "cardiothoracic radiology"),
        ("nuclear_radiology", "nuclear radiology / nuclear medicine"),
        ("vascular_interventional", "vascular and interventional radiology"),
        ("general", "general diagnostic radiology"),
        ("no_such_key", "general diagnostic radiology"),
    ],
)
def test_subspecialty_label(key: str, expected: str) -> None:
    assert subspecialty_label(key) == expected


def test_pediatric_adds_childrens_hospital_tip() -> None:
    tips = suggest_subspecialty("ct", "chest", "child").tips
    assert any("Children's hospitals" in tip for tip in tips)


@pytest.mark.parametrize("key", sorted(SUBSPECIALTIES))
def test_no_taxonomy_code_in_what_the_patient_reads(key: str) -> None:
    entry = SUBSPECIALTIES[key]
    suggestion = SubspecialtySuggestion(
        key=key, name=entry.name, nucc_code=entry.nucc_code, nucc_name=entry.nucc_name,
        reason=entry.reason, tips=GENERAL_TIPS,
    )
    text = suggestion.as_text()
    assert not re.search(r"\b\d{3}[0-9A-Z]{6}X\b", text), text
    assert "NUCC" not in text and "taxonomy" not in text.lower()
