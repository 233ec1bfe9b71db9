"""SecondRead's domain layer: pure functions and frozen dataclasses, no I/O but the packaged CSV.

The bot never interprets images or gives a diagnosis: everything here judges the patient's
situation and logistics, never a finding.
"""

from bot.guidance.insurance import InsuranceAdvice, advise_insurance, needs_network_question
from bot.guidance.parsing import (
    parse_age_group,
    parse_body_part,
    parse_exam_type,
    parse_plan_type,
    parse_situation,
    parse_yes_no,
)
from bot.guidance.programs import Program, format_programs, load_programs, programs_for
from bot.guidance.red_flags import RedFlag, detect_red_flag, emergency_guidance
from bot.guidance.subspecialty import (
    SubspecialtySuggestion,
    subspecialty_label,
    suggest_subspecialty,
)
from bot.guidance.vocabulary import (
    AGE_GROUPS,
    BODY_PARTS,
    EXAM_TYPES,
    PLAN_TYPES,
    SITUATIONS,
    YES_NO,
    describe_scan,
    label,
)
from bot.guidance.worthwhile import WorthwhileAssessment, assess_worthwhile

__all__ = [
    "AGE_GROUPS",
    "BODY_PARTS",
    "EXAM_TYPES",
    "PLAN_TYPES",
    "SITUATIONS",
    "YES_NO",
    "InsuranceAdvice",
    "Program",
    "RedFlag",
    "SubspecialtySuggestion",
    "WorthwhileAssessment",
    "advise_insurance",
    "assess_worthwhile",
    "describe_scan",
    "detect_red_flag",
    "emergency_guidance",
    "format_programs",
    "label",
    "load_programs",
    "needs_network_question",
    "parse_age_group",
    "parse_body_part",
    "parse_exam_type",
    "parse_plan_type",
    "parse_situation",
    "parse_yes_no",
    "programs_for",
    "subspecialty_label",
    "suggest_subspecialty",
]
