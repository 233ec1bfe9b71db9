"""Canonical slot values and the words a patient sees for them.

Keys are what the parsers return and what buttons send; labels are plain-language wording.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

EXAM_TYPES: Final[dict[str, str]] = {
    "ct": "CT scan",
    "mri": "MRI",
    "pet": "PET/CT scan",
    "ultrasound": "ultrasound",
    "xray": "X-ray",
    "mammogram": "mammogram",
    "nuclear": "nuclear medicine scan",
    "angiogram": "angiogram",
    "unknown": "scan",
}

BODY_PARTS: Final[dict[str, str]] = {
    "brain": "brain",
    "spine": "spine",
    "head_neck": "head and neck",
    "chest": "chest",
    "heart": "heart",
    "abdomen": "abdomen",
    "pelvis": "pelvis",
    "breast": "breast",
    "knee": "knee",
    "shoulder": "shoulder",
    "hip": "hip",
    "extremity": "arm or leg",
    "whole_body": "whole body",
    "unknown": "body part not given",
}

SITUATIONS: Final[dict[str, str]] = {
    "complex_diagnosis": "a complex or rare diagnosis",
    "subtle_finding": "a subtle finding, such as a small tumor or a neurological question",
    "surgery_planned": "surgery or another high-stakes procedure is planned",
    "unclear_report": "the report is vague or inconclusive",
    "clinical_mismatch": "the report doesn't fit what the treating doctor sees",
    "peace_of_mind": "peace of mind",
}

PLAN_TYPES: Final[dict[str, str]] = {
    "medicare": "Original Medicare (Part B)",
    "medicare_advantage": "Medicare Advantage (Part C)",
    "hmo": "HMO plan",
    "ppo": "PPO plan",
    "medicaid": "Medicaid",
    "none": "no insurance (self-pay)",
    "other": "another kind of plan",
}

AGE_GROUPS: Final[dict[str, str]] = {
    "adult": "adult (18 or older)",
    "child": "child (under 18)",
}

YES_NO: Final[dict[str, str]] = {
    "yes": "yes",
    "no": "no",
    "unsure": "not sure",
}

# Where a conversation happens, as staff read it. Telegram reaches Rasa through its REST channel
# (the bridge), so a Telegram conversation is told by its id (bot.notify.telegram.ids).
CHANNELS: Final[dict[str, str]] = {
    "socketio": "Website chat",
    "telegram": "Telegram",
    "rest": "Direct (REST API)",
    "unknown": "unknown channel",
}

# What a patient message was about (the NLU's intent), as staff read it.
TOPICS: Final[dict[str, str]] = {
    "greet": "Greeting",
    "goodbye": "Goodbye",
    "thank": "Thanks",
    "affirm": "Yes",
    "deny": "No",
    "dont_know": "Not sure",
    "bot_challenge": "Asked if it is a bot",
    "help": "Asked for help",
    "out_of_scope": "Something else",
    "human_handoff": "Asked for a person",
    "restart": "Start over",
    "stop": "Stop",
    "ask_worthwhile": "Is a second read worth it?",
    "request_records": "Getting images and report",
    "records_delay": "Records are late",
    "find_subspecialist": "Finding a subspecialist",
    "ask_insurance": "Insurance and cost",
    "reports_disagree": "Reports disagree",
    "compare_reports": "Comparing two reports",
    "ask_diagnosis": "Asked what the scan shows",
    "red_flag": "Emergency",
    "inform": "Gave details",
    "open_case": "Opening a case",
    "check_case_status": "Case status",
    "delete_my_data": "Delete my data",
    "upload_files": "Sent files",
    "ask_privacy": "Privacy",
    "find_nearby": "Radiologists nearby",
    "find_nearby_more": "More radiologists nearby",
    "request_letter": "Records request letter",
    "nlu_fallback": "Not understood",
    "EXTERNAL_uploads_checked": "Files checked",
    "EXTERNAL_records_follow_up": "Records follow-up",
}

NOT_GIVEN: Final = "not given"


def label(vocabulary: Mapping[str, str], key: str | None) -> str:
    """The patient-facing label; an unknown or missing key falls back to the vocabulary's
    "unknown" label when it has one (so a missing exam reads as "scan"), else "not given"."""
    if key is not None and key in vocabulary:
        return vocabulary[key]
    return vocabulary.get("unknown", NOT_GIVEN)


def describe_scan(exam_type: str | None, body_part: str | None) -> str:
    """A short phrase for the exam, e.g. "brain MRI", "knee X-ray", "mammogram" or "scan"."""
    exam = label(EXAM_TYPES, exam_type)
    # A mammogram is always of the breast, and an unknown body part adds nothing.
    if exam_type == "mammogram" or body_part is None or body_part == "unknown":
        return exam
    part = BODY_PARTS.get(body_part)
    return f"{part} {exam}" if part else exam


def exam_words(exam_type: str | None, body_part: str | None) -> str:
    """"MRI · knee", "CT scan · chest": an exam as staff lists show it."""
    # A value that is not one of our keys (written by an older version or by staff) stays.
    exam = EXAM_TYPES.get(exam_type or "unknown", exam_type or EXAM_TYPES["unknown"])
    part = BODY_PARTS.get(body_part, body_part) if body_part and body_part != "unknown" else ""
    return f"{exam[:1].upper()}{exam[1:]}" + (f" · {part}" if part else "")
