"""DICOM modality codes and body-part words -> the canonical keys of bot.guidance.vocabulary."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.guidance.parsing import combine_exams, known, parse_body_part, parse_exam_type

MODALITY_EXAMS: dict[str, str] = {
    "CT": "ct",
    "MR": "mri",
    "PT": "pet",
    "US": "ultrasound",
    "CR": "xray",
    "DX": "xray",
    "RG": "xray",
    "RF": "xray",
    "PX": "xray",
    "IO": "xray",
    "MG": "mammogram",
    "NM": "nuclear",
    "XA": "angiogram",
}

# BodyPartExamined defined terms (DICOM PS3.16 CID 4031) and common scanner spellings.
_BODY_PART_TERMS: dict[str, str] = {
    **dict.fromkeys(("HEAD", "BRAIN", "SKULL", "IAC", "PITUITARY", "CEREBRUM"), "brain"),
    **dict.fromkeys(
        ("NECK", "HEADNECK", "SINUS", "SINUSES", "ORBIT", "FACE", "JAW", "TMJ", "LARYNX",
         "THYROID", "MANDIBLE", "MAXILLA", "EAR", "NASOPHARYNX"),
        "head_neck",
    ),
    **dict.fromkeys(
        ("SPINE", "CSPINE", "TSPINE", "LSPINE", "SSPINE", "WHOLESPINE", "COCCYX", "SACRUM",
         "CERVICALSPINE", "THORACICSPINE", "LUMBARSPINE", "LSSPINE"),
        "spine",
    ),
    **dict.fromkeys(("CHEST", "THORAX", "LUNG", "LUNGS", "RIB", "RIBS", "STERNUM"), "chest"),
    **dict.fromkeys(("HEART", "CARDIAC", "CORONARY", "CORONARYARTERY"), "heart"),
    **dict.fromkeys(
        ("ABDOMEN", "ABD", "LIVER", "KIDNEY", "PANCREAS", "ABDOMENPELVIS", "ABDPELVIS",
         "CHESTABDOMEN", "CHESTABDPELVIS", "CAP", "STOMACH", "GALLBLADDER", "SPLEEN", "BOWEL"),
        "abdomen",
    ),
    **dict.fromkeys(
        ("PELVIS", "PROSTATE", "BLADDER", "UTERUS", "OVARY", "RECTUM", "SCROTUM", "TESTIS"),
        "pelvis",
    ),
    "BREAST": "breast",
    "KNEE": "knee",
    "SHOULDER": "shoulder",
    "HIP": "hip",
    **dict.fromkeys(
        ("EXTREMITY", "ARM", "LEG", "HAND", "FOOT", "ANKLE", "WRIST", "ELBOW", "FEMUR", "TIBIA",
         "FIBULA", "HUMERUS", "FOREARM", "LOWERLIMB", "UPPERLIMB", "LOWERLEG", "UPPERARM",
         "THIGH", "FINGER", "TOE", "HEEL", "CALF", "RADIUS", "ULNA", "CLAVICLE"),
        "extremity",
    ),
    **dict.fromkeys(("WHOLEBODY", "WHOLE BODY", "BODY"), "whole_body"),
}
_NOT_LETTERS = re.compile(r"[^A-Z]")


def exam_type_for(modalities: Iterable[str], descriptions: Iterable[str] = ()) -> str | None:
    """The study's exam type from its modalities, else from its descriptions' words."""
    # Several modalities are named after the most specific one (bot.guidance.parsing
    # EXAM_PRIORITY): PET/CT is a PET exam, a CT localizer does not make an angiogram a CT.
    found = combine_exams([MODALITY_EXAMS.get(code) for code in modalities])
    if found is not None:
        return found
    for description in descriptions:
        named = known(parse_exam_type(description))
        if named is not None:
            return named
    return None


def body_part_for(
    body_parts: Iterable[str], descriptions: Iterable[str] = (), exam_type: str | None = None
) -> str | None:
    """The body part from BodyPartExamined terms, else from the descriptions' words."""
    if exam_type == "mammogram":
        return "breast"
    for term in body_parts:
        key = _BODY_PART_TERMS.get(_NOT_LETTERS.sub("", term.upper()))
        if key is not None:
            return key
    for text in (*body_parts, *descriptions):
        key = known(parse_body_part(text.replace("_", " ")))
        if key is not None:
            return key
    return None


def exam_from_text(text: str) -> tuple[str | None, str | None]:
    """Exam type and body part named in a line of free text (a report's "Exam:" line)."""
    exam = known(parse_exam_type(text))
    part = known(parse_body_part(text))
    if exam == "mammogram":
        part = "breast"
    return exam, part


