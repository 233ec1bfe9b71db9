"""Keyword safety net for emergencies; the NLU's `red_flag` intent is the primary detector.

Tuned to catch symptom statements ("my face is drooping") and not ordinary second-opinion talk
("CT of my chest", "stroke protocol MRI from 2019"). These guards keep it quiet on the latter:
  - a negation just before the phrase ("no chest pain") skips it;
  - talk about an exam ("chest pain CT", "a CT for chest pain") is not a symptom report;
  - some signs count only together (bladder trouble with back pain or leg weakness);
  - a message that only talks about the past ("chest pain last year") is not an emergency now,
    unless it also says now/still/again/since. Thoughts of self-harm are never discounted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from bot.guidance.normalize import is_negated, normalize_text, split_clauses


@dataclass(frozen=True)
class RedFlag:
    category: str
    matched: str


def _pattern(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b")


_BACK_CONTEXT: Final = _pattern(
    r"back", r"spine", r"spinal", r"sciatica", r"discs?", r"disks?", r"lumbar"
)
_RELATIVE: Final = r"(?:i|he|she|they|mom|dad|mother|father|husband|wife|son|daughter|partner)"
# "not urgent", "not an emergency", "nothing urgent": the word itself is negated.
_NOT: Final = r"(?<!not )(?<!non )(?<!no )(?<!isnt )(?<!not a )(?<!not an )(?<!nothing )"

# Category -> pattern, checked in this order (most time-critical first).
_RULES: Final[tuple[tuple[str, re.Pattern[str]], ...]] = (
    ("self_harm", _pattern(
        r"kill(ing)? (my|him|her)sel(f|ves)", r"suicid\w*", r"end(ing)? (my|it) (own )?(life|all)",
        r"take my (own )?life", r"want(ed)? to die", r"(hurt|harm)(ing)? myself", r"self harm",
        r"(dont|do not) want to (live|be alive|be here)", r"better off dead",
        r"no reason to live", r"overdos\w*",
        r"(took|take|taken|swallowed) (too many|a lot of|all (my|the)) (pills|tablets|meds)",
    )),
    ("stroke", _pattern(
        r"(face|mouth|smile|eyelid) (\w+ ){0,2}droop\w*", r"droop\w* (face|mouth|smile)",
        r"droop\w* on one side", r"slurr\w*",
        # "can't talk to my doctor until Monday" is not a speech problem.
        r"(cant|cannot|can not|trouble|difficulty|struggling to) (speak|speaking|talk|talking)"
        r"(?! (to|with|about|until|till|before|because|for|on)\b)",
        r"arm (\w+ )?(went|is|feels|suddenly) (\w+ )?(weak|numb|limp|dead)",
        r"(sudden|suddenly) (\w+ )?(weak|numb)\w*", r"one side of (my|his|her) (body|face)",
        r"having a stroke", r"stroke (right )?now", r"(signs|symptoms) of (a )?stroke",
        r"stroke symptoms", r"(might|may|could) be (having )?a stroke",
        r"(jumbled|garbled) (words|speech)", r"words (\w+ ){0,3}(jumbled|garbled)",
        r"(half|one side of|side of) (my |his |her )?face (\w+ )?(numb|weak)\w*",
        r"(cant|cannot) move (my |his |her )?(left|right) (side|arm|leg)",
        r"(left|right) side (\w+ )?(weak|numb|paraly[sz]ed)\w*",
    )),
    ("chest_pain", _pattern(
        r"chest (pain|pains|pressure|tightness|discomfort)",
        r"(pain|pressure|tightness|squeez\w*) (in|on|across) (my|his|her|the) chest",
        r"chest (is|feels) (tight|heavy|crushed|squeezed)", r"chest hurts", r"crushing",
        r"heart attack",
    )),
    ("breathing", _pattern(
        r"(cant|cannot|can not|unable to|struggling to|hard to|trouble|difficulty) breath\w*",
        r"short(ness)? of breath", r"gasping", r"choking",
        r"(lips|face) (are |is )?(turning )?blue", r"breathless\w*",
    )),
    ("fainting", _pattern(
        # Not a bare "faint": reports say "faint shadow"; not "collapsed lung" either.
        r"passed out", r"pass(ing)? out", r"fainted", r"fainting", r"feel(ing|s)? faint",
        r"blacked out", r"black(ing)? out", r"lost consciousness", r"unconscious",
        r"unresponsive", rf"{_RELATIVE} (just )?collapsed", r"(cant|cannot) wake (him|her|them)",
        r"(sudden|suddenly|severe|severely|very|extremely) (\w+ )?dizz\w*",
        r"room (is |was )?spinning", r"everything went (black|dark)",
    )),
    ("vision", _pattern(
        # Not "can't see anything on the CD".
        r"(sudden|suddenly) (\w+ ){0,2}(blind\w*|vision|cant see|cannot see|blurr\w*)",
        r"lost (my |his |her |the )?(vision|sight)", r"(loss of|losing) (vision|sight)",
        r"vision loss", r"double vision", r"(went|gone|going) blind", r"blind in one eye",
        r"(cant|cannot|can not) see (anything )?(out of|with) (my|one|his|her|the)",
        r"vision (\w+ )?(went|is going|goes|turned) (dark|black|blurry|grey|gray)",
    )),
    ("confusion", _pattern(
        # Not "I'm confused by the report".
        r"(sudden|suddenly) (\w+ )?confus\w*", r"disoriented",
        r"(doesnt|does not) know where (he|she|they) (is|are)",
        r"(doesnt|does not|cant) recogni[sz]e", r"not making (any )?sense", r"talking nonsense",
        # After a head injury, unusual sleepiness is a change in alertness.
        r"(really|very|unusually|too) (sleepy|drowsy)", r"hard to wake",
        r"(he|she|they|mom|dad|mother|father|husband|wife) (is|seems|became|got|has become) "
        r"(very |really |suddenly )?confused(?! (by|about|with|over|why|what|how|because)\b)",
    )),
    ("severe_pain", _pattern(
        r"worst (headache|pain)", r"thunderclap", r"excruciating", r"unbearable", r"agony",
        r"(sudden|suddenly) (\w+ ){0,2}(severe|intense|terrible|horrible|extreme|sharp|"
        r"splitting|exploding) \w*",
        r"stiff neck (and|with) (a )?(high )?fever", r"fever (and|with) (a )?stiff neck",
        r"(severe|intense|extreme|terrible|horrible) (\w+ ){0,2}pain (right )?now",
        r"10 out of 10",
    )),
    ("blood", _pattern(
        r"cough\w* (up )?blood", r"(vomit\w*|throw\w* up|threw up|spit\w* (up )?) ?blood",
        r"blood in (my |his |her )?(vomit|sputum|spit|phlegm)",
    )),
    ("bleeding", _pattern(
        r"bleeding (heavily|a lot|badly|everywhere|that wont stop|wont stop)",
        r"(cant|cannot|can not|wont) stop (the )?bleed\w*", r"uncontrolled bleed\w*",
        r"heavy bleed\w*", r"blood everywhere", r"losing (a lot of )?blood", r"hemorrhaging",
    )),
    ("cauda_equina", _pattern(
        r"saddle (area )?(numb\w*|anesthesia|anaesthesia)",
        r"numb\w* between (my |his |her |the )?legs",
        r"numb\w* (in|around) (my |his |her |the )?(groin|inner thighs|buttocks|bottom|privates|"
        r"genitals)",
        r"(cant|cannot|can not) feel (my |his |her )?(groin|bottom|privates|genitals|legs)",
    )),
    ("urgent_report", _pattern(
        r"(report|radiologist|doctor|dr|result|results|they|he|she|nurse|office|scan|message|"
        r"portal|letter) "
        r"(\w+ ){0,5}(says|said|say|saying|called|told|flagged|marked|wrote|calls|shows|showed) "
        rf"(\w+ ){{0,6}}{_NOT}(critical|urgent\w*|emergen\w*|immediately|right away|asap|er)",
        rf"{_NOT}critical (result|finding|value)s?", r"call (\w+ ){0,2}immediately",
        rf"(results?|report|findings?) (is|are|was|were|came back) (\w+ )?{_NOT}(critical|urgent)",
        r"told (me|us|him|her|them) to go to (the )?(er|emergency|hospital)",
    )),
)

# Cauda equina signs that count only together: bladder or bowel loss with back trouble or leg
# weakness, or leg weakness with back trouble. Alone, each is common and rarely an emergency.
_BLADDER_BOWEL: Final = _pattern(
    r"(cant|cannot|can not|unable to|trouble|problems?|difficulty|lost|losing|loss of|no) "
    r"(\w+ ){0,2}(my |his |her )?(bladder|bowels?|pee|peeing|urinat\w*|poop\w*)",
    r"(bladder|bowel|bowels) (\w+ )?(control|accidents?|leak\w*|incontinen\w*|problems?)",
    r"wet (my|him|her)self", r"incontinen\w*",
)
_LEG_WEAKNESS: Final = _pattern(
    r"legs? (\w+ ){0,3}(weak\w*|giving (out|way)|numb\w*)",
    r"weakness in (my |both |his |her )?legs?", r"(cant|cannot) (walk|stand|move (my )?legs?)",
)


# Exam words: "chest pain CT" names an exam, and "a CT for chest pain" gives an exam's reason.
_EXAM_WORDS: Final = (
    r"(?:x ?rays?|ct|cts|cat scan|mri|mris|scans?|ultrasound|films?|imaging|protocol|angiogram)"
)
_EXAM_AFTER: Final = re.compile(rf" {_EXAM_WORDS}\b")
_EXAM_REASON_BEFORE: Final = re.compile(
    rf"\b{_EXAM_WORDS}( \w+){{0,4}} (for|because of|after|due to)( \w+){{0,2}} $"
)

_PAST: Final = _pattern(
    r"last (year|month|week|summer|winter|spring|fall)", r"\d+ (years?|months?|weeks?) ago",
    r"(a|one|two|three|few|several|many) (years?|months?) ago", r"years ago", r"months ago",
    r"(in|from|since|back in) (19|20)\d\d", r"back (in|then)", r"in the past", r"used to",
    r"previously", r"history of",
)
_PRESENT: Final = _pattern(
    r"now", r"right now", r"today", r"tonight", r"this (morning|afternoon|evening)",
    r"currently", r"still", r"again", r"since", r"just (started|now|happened)", r"keeps?",
    r"getting worse", r"worse", r"at the moment",
)
_NEVER_DISCOUNTED: Final = frozenset({"self_harm"})


def _only_about_the_past(clean: str) -> bool:
    return bool(_PAST.search(clean)) and not _PRESENT.search(clean)


def _is_exam_talk(clause: str, start: int, end: int) -> bool:
    """True when the phrase names an exam or the reason an exam was done, not a symptom now."""
    return bool(
        _EXAM_AFTER.match(clause, end) or _EXAM_REASON_BEFORE.search(clause[:start])
    )


def _find(pattern: re.Pattern[str], clauses: tuple[str, ...]) -> str | None:
    for clause in clauses:
        for match in pattern.finditer(clause):
            start, end = match.span()
            if not is_negated(clause, start) and not _is_exam_talk(clause, start, end):
                return match.group(0)
    return None


def _cauda_equina_combination(clauses: tuple[str, ...]) -> str | None:
    back = _BACK_CONTEXT.search(" ".join(clauses)) is not None
    legs = _find(_LEG_WEAKNESS, clauses)
    bladder = _find(_BLADDER_BOWEL, clauses)
    if bladder and (back or legs):
        return bladder
    return legs if legs and back else None


def detect_red_flag(text: str | None) -> RedFlag | None:
    """The first emergency sign in a message, or None."""
    clauses = split_clauses(text)
    if not clauses:
        return None
    past_only = _only_about_the_past(normalize_text(text))
    for category, pattern in _RULES:
        if past_only and category not in _NEVER_DISCOUNTED:
            continue
        found = _find(pattern, clauses)
        if found is None and category == "cauda_equina":
            found = _cauda_equina_combination(clauses)
        if found is not None:
            return RedFlag(category=category, matched=found)
    return None


_EMERGENCY_FIRST: Final = (
    "Please call 911 or go to the nearest emergency department now. Don't wait for a second "
    "opinion."
)
_URGENT_REPORT_FIRST: Final = (
    "If you have any symptoms or feel unwell, call 911 or go to the nearest emergency department "
    "now. Don't wait for a second opinion."
)
_CATEGORY_ADVICE: Final[dict[str, str]] = {
    "stroke": (
        "Face drooping, arm weakness or trouble speaking can be signs of a stroke. Call 911 even "
        "if the symptoms pass, and note the time they started."
    ),
    "chest_pain": "Chest pain or pressure needs to be checked right away.",
    "breathing": "Severe trouble breathing needs to be checked right away.",
    "fainting": "Fainting or sudden severe dizziness needs to be checked right away.",
    "vision": "A sudden change in vision needs to be checked right away.",
    "confusion": "Sudden confusion or unusual sleepiness needs to be checked right away.",
    "severe_pain": "Sudden severe pain needs to be checked right away.",
    "bleeding": "Bleeding that won't stop needs care right away.",
    "blood": "Coughing or vomiting blood needs to be checked right away.",
    "self_harm": (
        "If you're having thoughts of hurting yourself, you can also call or text 988 (Suicide & "
        "Crisis Lifeline) to talk to someone now."
    ),
    "cauda_equina": (
        "Back pain with numbness between the legs, new bladder or bowel problems, or leg weakness "
        "needs to be checked at an emergency department today."
    ),
    "urgent_report": (
        "Because your report or doctor said it was urgent or critical, contact the doctor who "
        "ordered the scan now. If you can't reach them, go to the emergency department."
    ),
}
_AFTERWARDS: Final = "I'll be here to help with the second opinion once you're safe."


def emergency_guidance(category: str | None) -> str:
    """Emergency-first wording; the instruction always comes first, whatever the category."""
    first = _URGENT_REPORT_FIRST if category == "urgent_report" else _EMERGENCY_FIRST
    advice = _CATEGORY_ADVICE.get(category or "")
    parts = [first, advice, _AFTERWARDS] if advice else [first, _AFTERWARDS]
    return " ".join(parts)
