"""Tolerant parsers: a button's canonical value or a patient's own words -> a canonical key.

Each returns None when it cannot place the answer, so the form can ask again instead of guessing.
Rules are tried in order and the first hit wins, so more specific rules come first
("medicare advantage" before "medicare", "cervical spine" before "neck"). A keyword just after a
negation ("it wasn't an MRI", "no surgery planned") is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from bot.guidance.mentions import mentioned_physician_request
from bot.guidance.normalize import is_negated, normalize_text, split_clauses
from bot.guidance.vocabulary import (
    AGE_GROUPS,
    BODY_PARTS,
    EXAM_TYPES,
    PLAN_TYPES,
    SITUATIONS,
    YES_NO,
)

Rule = tuple[str, re.Pattern[str]]


def _rules(table: Sequence[tuple[str, Sequence[str]]]) -> tuple[Rule, ...]:
    """Compile each key's regex alternatives into one whole-word pattern."""
    return tuple(
        (key, re.compile(r"\b(?:" + "|".join(words) + r")\b")) for key, words in table
    )


def _canonical(text: str, vocabulary: Mapping[str, str]) -> str | None:
    key = text.strip().lower()
    return key if key in vocabulary else None


def _first_rule_match(
    text: str | None, vocabulary: Mapping[str, str], rules: Sequence[Rule]
) -> str | None:
    if text is None:
        return None
    canonical = _canonical(text, vocabulary)
    if canonical is not None:
        return canonical
    clauses = split_clauses(text)
    for key, pattern in rules:
        for clause in clauses:
            if any(not is_negated(clause, m.start()) for m in pattern.finditer(clause)):
                return key
    return None


_DONT_KNOW = [
    r"dont know", r"do not know", r"not sure", r"unsure", r"no idea", r"unknown", r"idk",
    r"(cant|cannot|dont) remember", r"forgot", r"not certain",
]

_EXAM_RULES = _rules(
    [
        ("pet", [r"pet", r"pet ?ct", r"pet scan", r"positron"]),
        ("mammogram", [r"mam+o\w*", r"tomosynthesis", r"3d mammo\w*"]),
        (
            "nuclear",
            [r"nuclear", r"nuc med", r"bone scans?", r"spect", r"scintigra\w*", r"thyroid scan",
             r"hida", r"muga", r"gallium scan"],
        ),
        (
            "angiogram",
            [r"angio\w*", r"cta", r"mra", r"arteriogra\w*", r"venogra\w*"],
        ),
        (
            "mri",
            # A bare "mr" is also "Mr. Smith": count it only alone or before a scan word.
            [r"f?mris?", r"mrcp", r"magnetic resonance", r"m r i", r"^mr$",
             r"mr(?= (?:of|scan|imaging|exam|study|brain|head|spine|knee|shoulder|hip|chest|"
             r"abdomen|pelvis|breast|prostate|liver|enterography)\b)"],
        ),
        (
            "ct",
            [r"cts?", r"c t", r"cat ?scans?", r"computed tomography",
             r"computeri[sz]ed tomography", r"ct scans?"],
        ),
        (
            "ultrasound",
            [r"ultra ?sounds?", r"u s", r"sonograms?", r"sono\w*", r"echo\w*", r"doppler"],
        ),
        ("xray", [r"x ?rays?", r"x ?rayed", r"radiographs?", r"xr"]),
        ("unknown", _DONT_KNOW),
    ]
)

_BODY_RULES = _rules(
    [
        (
            "spine",
            [r"spines?", r"spinal", r"lumbar", r"vertebra\w*",
             r"(bulging|herniated|slipped|ruptured) (discs?|disks?)",
             r"(neck|cervical|thoracic) (spine|vertebra\w*|discs?|disks?)", r"[clt] spine",
             r"sacrum", r"sacral", r"coccyx", r"tailbone", r"sciatica"],
        ),
        ("head_neck", [r"head (and )?neck"]),
        ("breast", [r"breasts?", r"boobs?", r"mammo\w*"]),
        ("heart", [r"heart", r"cardiac", r"coronary", r"calcium score"]),
        ("knee", [r"knees?", r"kneecap", r"meniscus", r"acl"]),
        ("shoulder", [r"shoulders?", r"rotator cuff"]),
        ("hip", [r"hips?"]),
        (
            "extremity",
            [r"extremit(y|ies)", r"limbs?", r"arms?", r"forearms?", r"legs?", r"thighs?",
             r"calf", r"shins?", r"ankles?", r"wrists?", r"feet", r"foot", r"hands?",
             r"fingers?", r"toes?", r"elbows?", r"heels?"],
        ),
        ("brain", [r"brain", r"head", r"skull", r"cranial", r"cerebral", r"pituitary",
                   r"headaches?"]),
        (
            "head_neck",
            [r"neck", r"thyroid", r"sinus(es)?", r"throat", r"jaw", r"orbits?", r"eyes?",
             r"ears?", r"face", r"facial", r"larynx", r"parotid", r"salivary", r"tongue"],
        ),
        (
            "chest",
            [r"chest", r"lungs?", r"ribs?", r"thora\w*", r"pulmonary", r"mediastin\w*",
             r"pleura\w*"],
        ),
        (
            "abdomen",
            [r"abdom\w*", r"belly", r"tummy", r"stomach", r"liver", r"kidneys?", r"renal",
             r"pancrea\w*", r"gall ?bladder", r"spleen", r"bowels?", r"intestines?", r"colon",
             r"appendix", r"adrenals?"],
        ),
        (
            "pelvis",
            [r"pelvi\w*", r"prostate", r"bladder", r"uter\w*", r"ovar\w*", r"cervix", r"rect\w*",
             r"scrot\w*", r"testic\w*", r"womb", r"groin"],
        ),
        ("whole_body", [r"(whole|full|entire|total) body"]),
        # A bare "back" is weaker evidence than a named joint: "the back of my knee" is a knee.
        ("spine", [r"back"]),
        ("unknown", _DONT_KNOW),
    ]
)

_SITUATION_RULES = _rules(
    [
        (
            "surgery_planned",
            [r"surgery", r"surgeries", r"surgical", r"surgeon", r"operat(e|ion|ing)",
             r"biops(y|ies)", r"radiation", r"radiotherapy", r"chemo\w*", r"procedure",
             r"transplant", r"amputat\w*", r"resection", r"ablation",
             # The operation by its name or the surgeon by their field: "a neurosurgeon wants
             # to fuse two levels", "a lumpectomy", "a hip replacement", "kyphoplasty".
             r"\w+surge(ons?|ry|ries)", r"fus(e|ed|ing|ions?)", r"\w+ectom(y|ies)",
             r"\w+plast(y|ies)", r"\w+otom(y|ies)",
             r"(hip|knee|shoulder|joint|disc|valve) replacements?"],
        ),
        (
            "clinical_mismatch",
            [r"mismatch", r"(doesnt|dont|does not|do not|didnt|not) (match|fit|add up|explain)",
             r"disagree\w*", r"contradict\w*", r"inconsistent", r"clinical mismatch"],
        ),
        (
            "complex_diagnosis",
            [r"rare", r"complicated", r"complex", r"cancer", r"oncolog\w*", r"lymphoma",
             r"sarcoma", r"staging"],
        ),
        (
            "subtle_finding",
            [r"(tiny|small|little) (spot|lesion|nodule|mass|shadow|finding)", r"subtle",
             r"tumou?rs?", r"ms", r"multiple sclerosis", r"epilep\w*", r"seizures?",
             r"neurolog\w*", r"lesions?", r"nodules?", r"spots?"],
        ),
        (
            "unclear_report",
            [r"vague", r"inconclusive", r"unclear", r"indeterminate", r"(cant|cannot|couldnt) tell",
             r"not clear", r"equivocal", r"ambiguous", r"confusing", r"non ?specific",
             r"(cant|cannot) (be )?rule\w* out", r"uncertain"],
        ),
        (
            "peace_of_mind",
            [r"peace of mind", r"(just )?to be (sure|safe)", r"make sure", r"reassur\w*",
             r"anxious", r"anxiety", r"worried", r"nervous", r"double check", r"confirm\w*"],
        ),
    ]
)

_PLAN_RULES = _rules(
    [
        (
            "medicare_advantage",
            [r"medicare advantage", r"advantage plan", r"part c", r"medicare (hmo|ppo)",
             r"mapd", r"ma plan"],
        ),
        ("medicare", [r"medicare", r"part b", r"medigap"]),
        (
            "medicaid",
            [r"medicaid", r"medi cal", r"chip", r"masshealth", r"tenncare", r"state insurance"],
        ),
        (
            "none",
            [r"un ?insured", r"no (health )?(insurance|coverage|plan)",
             r"not insured", r"(dont|do not) have (any )?(health )?insurance",
             r"without (any )?(health )?insurance",
             r"self ?pay(ing)?", r"cash", r"out of pocket", r"none", r"pay (it )?myself"],
        ),
        ("hmo", [r"hmo"]),
        ("ppo", [r"ppo"]),
        (
            "other",
            [r"tricare", r"epo", r"pos", r"marketplace", r"exchange", r"obamacare", r"aca",
             r"va", r"champva", r"cobra", r"hdhp", r"high deductible", r"other"],
        ),
    ]
)


def parse_exam_type(text: str | None) -> str | None:
    """"cat scan" -> "ct", "mri of my knee" -> "mri", "not sure" -> "unknown".

    A hybrid or compound exam is named after its most specific part: "PET/MR" -> "pet",
    "SPECT/CT" -> "nuclear", "CT angiogram" -> "angiogram" (see `combine_exams`).
    """
    # The rules are in EXAM_PRIORITY order, so the first hit is the most specific part.
    return _first_rule_match(text, EXAM_TYPES, _EXAM_RULES)


# A hybrid or compound exam is read by the reader of its most specific part: PET/CT and PET/MR
# are PET exams, SPECT/CT a nuclear medicine exam, a CT or MR angiogram an angiogram.
EXAM_PRIORITY: tuple[str, ...] = (
    "pet", "mammogram", "nuclear", "angiogram", "mri", "ct", "ultrasound", "xray",
)


def parse_exam_types(text: str | None) -> tuple[str, ...]:
    """Every exam a text names, not negated, in EXAM_PRIORITY order: "PET/CT" -> ("pet", "ct").

    "not sure" is not an exam here: an empty tuple.
    """
    if not text:
        return ()
    clauses = split_clauses(text)
    found = {
        key
        for key, pattern in _EXAM_RULES
        if key != "unknown"
        for clause in clauses
        if any(not is_negated(clause, m.start()) for m in pattern.finditer(clause))
    }
    return tuple(key for key in EXAM_PRIORITY if key in found)


def known(key: str | None) -> str | None:
    """A parsed key, or None when the parser found nothing or the words said "don't know"
    ("unknown"): for facts, both mean nothing was said."""
    return None if key in (None, "unknown") else key


def combine_exams(keys: Sequence[str | None]) -> str | None:
    """The exam several named parts make up: ("ct", "pet") -> "pet"; None when none is known."""
    known = {key for key in keys if key}
    return next((key for key in EXAM_PRIORITY if key in known), None)


def parse_body_part(text: str | None) -> str | None:
    """"lower back" -> "spine", "belly" -> "abdomen", "cervical spine" -> "spine"."""
    return _first_rule_match(text, BODY_PARTS, _BODY_RULES)


def parse_situation(text: str | None) -> str | None:
    """"they want to operate" -> "surgery_planned", "the report was vague" -> "unclear_report"."""
    return _first_rule_match(text, SITUATIONS, _SITUATION_RULES)


def parse_plan_type(text: str | None) -> str | None:
    """"Medi-Cal" -> "medicaid", "blue cross ppo" -> "ppo", "uninsured" -> "none".

    A brand alone ("Kaiser", "Blue Cross") is not a plan type: None, so the form asks again.
    """
    return _first_rule_match(text, PLAN_TYPES, _PLAN_RULES)


# Hedges win over everything: "yes, I think, but not sure" is still not a yes.
_UNSURE = re.compile(
    r"\b(?:not (?:really )?sure|unsure|dont know|do not know|no idea|maybe|perhaps|possibly|"
    r"might|idk|not certain|(?:cant|cannot|dont) remember|no clue|who knows)\b"
)
_NO = re.compile(
    r"\b(?:no|n|nope|nah|not|never|none|negative|didnt|doesnt|dont|hasnt|havent|hadnt|isnt|"
    r"wasnt|wont|arent|werent)\b"
)
_YES = re.compile(
    r"\b(?:yes|yeah|yea|yep|yup|ya|sure|ok|okay|correct|right|definitely|absolutely|"
    r"of course|affirmative|agree|agreed|i consent|consent given|go ahead|sounds good|please do|"
    r"alright|all right|fine by me|"
    r"(?:i|he|she|they|we) (?:did|has|have|does|do|is|are)(?! not)|"
    r"(?<!dont )(?<!do not )think so|already|y)\b"
)


def parse_yes_no(text: str | None) -> str | None:
    """"yeah", "he did" -> "yes"; "nope", "not yet" -> "no"; "not sure", "maybe" -> "unsure".

    When both a yes and a no appear, the earlier one answers the question ("no, not yet").
    """
    if text is None:
        return None
    canonical = _canonical(text, YES_NO)
    if canonical is not None:
        return canonical
    clean = normalize_text(text)
    if _UNSURE.search(clean):
        return "unsure"
    found_no, found_yes = _NO.search(clean), _YES.search(clean)
    if found_no and (found_yes is None or found_no.start() <= found_yes.start()):
        return "no"
    return "yes" if found_yes else None


def parse_physician_request(text: str | None) -> str | None:
    """The answer to "has your doctor asked for a second opinion?": a yes or no, or the request
    said in words ("her oncologist brought it up first" -> "yes")."""
    return parse_yes_no(text) or mentioned_physician_request(text)


_ADULT_AGE = 18
_MAX_AGE = 120
# "18 months", "3 weeks old": always a child, whatever the number.
_INFANT_AGE = re.compile(r"(?<!\d)\d{1,3} ?(?:months?|mos?|weeks?|wks?|days?)\b")
_UNDER_18 = re.compile(r"\b(?:under|below|younger than|less than) 18\b")
# One to three digits standing alone: "45", "8 year old"; a year like "1980" is not an age.
_AGE_NUMBER = re.compile(r"(?<!\d)(\d{1,3})(?!\d)")
_ADULT_WORDS = re.compile(r"\b(?:adults?|grown ?ups?|senior|elderly|retired)\b")
_CHILD_WORDS = re.compile(
    r"\b(?:child|children|kids?|baby|babies|infant|toddler|newborn|teen|teens|teenager|"
    r"minor|pediatric|paediatric|boy|girl)\b"
)
# The person typing is taken to be an adult; family roles imply adults too.
_SELF_OR_ADULT_RELATIVE = re.compile(
    r"\b(?:me|myself|husband|wife|spouse|partner|mom|mother|dad|father|parent|grandma|"
    r"grandmother|grandpa|grandfather)\b"
)


def parse_age_group(text: str | None) -> str | None:
    """"I'm 45" -> "adult", "15" or "my 8 year old son" -> "child", an age over 120 -> None.

    A bare "my son" or "my daughter" is not decided (adult children exist): None, ask again.
    """
    if text is None:
        return None
    canonical = _canonical(text, AGE_GROUPS)
    if canonical is not None:
        return canonical
    clean = normalize_text(text)
    if _INFANT_AGE.search(clean) or _UNDER_18.search(clean):
        return "child"
    number = _AGE_NUMBER.search(clean)
    if number:
        age = int(number.group(1))
        if age > _MAX_AGE:
            return None
        return "adult" if age >= _ADULT_AGE else "child"
    if _ADULT_WORDS.search(clean):
        return "adult"
    if _CHILD_WORDS.search(clean):
        return "child"
    if _SELF_OR_ADULT_RELATIVE.search(clean):
        return "adult"
    return None
