"""Which kind of radiologist fits an exam, with the NUCC taxonomy code the directory searches by.

Follows the exam -> subspecialty table in the domain notes. Musculoskeletal, breast and
cardiothoracic radiology have no physician taxonomy code of their own, so they map to Diagnostic
Radiology (2085R0202X) plus a note to look for a practice's stated focus. Codes never appear in
patient-facing text (`as_text`); they stay in the console and the directory search.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

NEURO_PARTS: Final = frozenset({"brain", "spine", "head_neck"})
JOINT_PARTS: Final = frozenset({"knee", "shoulder", "hip", "extremity"})
BODY_IMAGING_PARTS: Final = frozenset({"chest", "abdomen", "pelvis"})
# A missing or "unknown" exam still goes by body part: most such scans are CT or MRI.
_UNSPECIFIED_EXAMS: Final = frozenset({"unknown", None})

DIAGNOSTIC_RADIOLOGY: Final = ("2085R0202X", "Radiology, Diagnostic Radiology")


@dataclass(frozen=True)
class _Subspecialty:
    name: str
    nucc_code: str
    nucc_name: str
    reason: str


def _focus_note(area: str) -> str:
    return (
        f"The national provider registry has no separate listing for {area}: I look for "
        f"diagnostic radiologists, and you can ask a practice whether it has a {area} focus."
    )


SUBSPECIALTIES: Final[dict[str, _Subspecialty]] = {
    "pediatric": _Subspecialty(
        "pediatric radiology", "2085P0229X", "Radiology, Pediatric Radiology",
        "Any scan of a patient under 18 is best read by a pediatric radiologist, who reads "
        "children's scans every day.",
    ),
    "breast_imaging": _Subspecialty(
        "breast imaging", *DIAGNOSTIC_RADIOLOGY,
        "Mammograms and other breast scans are the daily work of breast imaging radiologists. "
        + _focus_note("breast imaging"),
    ),
    "nuclear_radiology": _Subspecialty(
        "nuclear radiology / nuclear medicine", "2085N0904X", "Radiology, Nuclear Radiology",
        "PET/CT and nuclear medicine scans are read by nuclear radiologists, or by nuclear "
        "medicine physicians.",
    ),
    "neuroradiology": _Subspecialty(
        "neuroradiology", "2085N0700X", "Radiology, Neuroradiology",
        "Brain, spine and head-and-neck CT, MRI and angiograms are the daily work of "
        "neuroradiologists.",
    ),
    "musculoskeletal": _Subspecialty(
        "musculoskeletal radiology", *DIAGNOSTIC_RADIOLOGY,
        "Joint, bone and limb scans are the daily work of musculoskeletal radiologists. "
        + _focus_note("musculoskeletal"),
    ),
    "cardiothoracic": _Subspecialty(
        "cardiothoracic radiology", *DIAGNOSTIC_RADIOLOGY,
        "Heart CT and MRI are the daily work of cardiothoracic radiologists. "
        + _focus_note("cardiothoracic"),
    ),
    "body_imaging": _Subspecialty(
        "body imaging", "2085B0100X", "Radiology, Body Imaging",
        "CT, MRI and ultrasound of the chest, abdomen and pelvis are the daily work of body "
        "imaging radiologists.",
    ),
    "vascular_interventional": _Subspecialty(
        "vascular and interventional radiology", "2085R0204X",
        "Radiology, Vascular & Interventional Radiology",
        "Angiograms of the body, arms and legs are the daily work of vascular and "
        "interventional radiologists.",
    ),
    "general": _Subspecialty(
        "general diagnostic radiology", *DIAGNOSTIC_RADIOLOGY,
        "A diagnostic radiologist can give a second read of this kind of exam; a program that "
        "reviews outside studies can route it to a subspecialist if one fits better.",
    ),
}

GENERAL_TIPS: Final = (
    "Radiology departments at academic medical centers often review outside studies; ask for "
    "their second-opinion or outside-study service.",
    "Ask your treating doctor for a referral: some programs only accept a request from a "
    "physician.",
    "An NPI record is not a board certification: ask the program about the reviewer's "
    "certification and subspecialty training.",
)


@dataclass(frozen=True)
class SubspecialtySuggestion:
    key: str
    name: str
    nucc_code: str
    nucc_name: str
    reason: str
    tips: tuple[str, ...]

    def as_text(self) -> str:
        lines = [
            f"A good fit for a second read: {self.name}.",
            self.reason,
            "I can look up radiologists near you in the national provider registry (NPPES).",
            "Tips:",
            *(f"- {tip}" for tip in self.tips),
        ]
        return "\n".join(lines)


def subspecialty_key(exam_type: str | None, body_part: str | None, age_group: str | None) -> str:
    """The subspecialty key; the order of checks is the precedence of the notes' table."""
    if age_group == "child":
        return "pediatric"
    if exam_type == "mammogram" or body_part == "breast":
        return "breast_imaging"
    if exam_type in ("pet", "nuclear"):
        return "nuclear_radiology"
    if body_part in NEURO_PARTS and (
        exam_type in ("ct", "mri", "angiogram") or exam_type in _UNSPECIFIED_EXAMS
    ):
        return "neuroradiology"
    if body_part in JOINT_PARTS and (
        exam_type in ("ct", "mri", "xray") or exam_type in _UNSPECIFIED_EXAMS
    ):
        return "musculoskeletal"
    if body_part == "heart":
        return "cardiothoracic"
    if body_part in BODY_IMAGING_PARTS and (
        exam_type in ("ct", "mri", "ultrasound") or exam_type in _UNSPECIFIED_EXAMS
    ):
        return "body_imaging"
    if exam_type == "angiogram" and body_part not in NEURO_PARTS:
        return "vascular_interventional"
    return "general"


def suggest_subspecialty(
    exam_type: str | None, body_part: str | None, age_group: str | None
) -> SubspecialtySuggestion:
    key = subspecialty_key(exam_type, body_part, age_group)
    entry = SUBSPECIALTIES[key]
    tips: tuple[str, ...] = GENERAL_TIPS
    if key == "pediatric":
        tips = ("Children's hospitals' radiology departments review outside studies.", *tips)
    return SubspecialtySuggestion(
        key=key,
        name=entry.name,
        nucc_code=entry.nucc_code,
        nucc_name=entry.nucc_name,
        reason=entry.reason,
        tips=tips,
    )


def subspecialty_label(key: str) -> str:
    """Patient-facing name of a subspecialty key; unknown keys read as general radiology."""
    entry = SUBSPECIALTIES.get(key)
    return entry.name if entry else SUBSPECIALTIES["general"].name
