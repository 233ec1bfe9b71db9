"""Facts a patient states in passing, read from any message (not an answer to a question).

The form parsers (bot.guidance.parsing) read an answer to one question, so they may be generous:
"12" answers "how old is the patient?". A message about something else needs stricter reading:
"my MRI 3 months ago" names no age, "out of pocket costs" is not "no insurance", "I'm not sure
what to do" is not an exam. Each reader returns None when the message does not state the fact.
"""

from __future__ import annotations

import re

from bot.guidance.normalize import is_negated, normalize_text, split_clauses

_SENTENCE = re.compile(r"[^.!?\n]+[.!?\n]*")
_CLAUSE = re.compile(r",|;|\b(?:and|but|so)\b", re.IGNORECASE)
_ASKS = re.compile(
    r"^\s*(?:is|are|am|was|were|do|does|did|can|could|will|would|should|shall|may|might|has|"
    r"have|what|whats|how|who|whom|which|when|where|why|if|whether)\b",
    re.IGNORECASE,
)


def statements(text: str | None) -> str:
    """The text without the clauses that ask: "is it in network?" states nothing about the
    network, while "they want to operate, is it worth it?" still states the operation."""
    kept: list[str] = []
    for sentence in _SENTENCE.findall(text or ""):
        if not sentence.rstrip().endswith("?"):
            kept.append(sentence)
            continue
        kept.extend(part for part in _CLAUSE.split(sentence) if not _ASKS.match(part))
    return " , ".join(part.strip(" ?") for part in kept if part.strip(" ?"))


_ADULT_AGE = 18
_MAX_AGE = 120

_UNITS = (
    r"(?!\s?(?:mm|cm|in|inch|inches|percent|kg|lbs?|pounds|times|slices|images|series|am|pm|"
    r"miles?|km|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|dollars?)\b)"
)
_AGE_PATTERNS = (
    # "8 year old", "8-year-old", "45 yrs old", "15 yo", "age 15", "aged 15"
    re.compile(r"\b(\d{1,3}) ?(?:years?|yrs?|yr) ?olds?\b"),
    re.compile(r"\b(\d{1,3}) ?(?:yo|y o)\b"),
    re.compile(r"\b(?:age|aged|ages) (\d{1,3})\b" + _UNITS),
    # "I'm 45", "he is 12", "my daughter, 15", "my son who is 9", "my daughter's 6",
    # "my husband (61)", "mom, 82"
    re.compile(
        r"\b(?:i am|im|he is|hes|she is|shes|they are|theyre|(?:son|daughter|child|kid|boy|girl|"
        r"baby|grandson|granddaughter|nephew|niece|husband|wife|spouse|partner|mom|mum|mother|"
        r"dad|father|grandma|grandmother|grandpa|grandfather|brother|sister|aunt|uncle)s?"
        r"(?: who is| is)?) (\d{1,3})\b" + _UNITS
    ),
)
_INFANT_AGE = re.compile(r"\b\d{1,2} ?(?:months?|mos?|weeks?|wks?|days?) old\b")
_CHILD_WORDS = re.compile(
    r"\b(?:baby|babies|infant|toddler|newborn|preschooler|teenager|teen|(?:my|our) (?:kid|kids)|"
    r"little (?:boy|girl|one|son|daughter)|young (?:son|daughter)|under 18|minor)\b"
)


def mentioned_age_group(text: str | None) -> str | None:
    """"my 8 year old" -> "child", "I'm 45" -> "adult", "my MRI 3 months ago" -> None."""
    clean = normalize_text(text)
    if not clean:
        return None
    if _INFANT_AGE.search(clean):
        return "child"
    for pattern in _AGE_PATTERNS:
        found = pattern.search(clean)
        if found and int(found.group(1)) <= _MAX_AGE:
            return "adult" if int(found.group(1)) >= _ADULT_AGE else "child"
    return "child" if _CHILD_WORDS.search(clean) else None


# Only words that name a kind of coverage; "cash", "out of pocket" and "other" are too common in
# messages about something else.
_PLAN_MENTIONS = (
    ("medicare_advantage", r"medicare advantage|advantage plan|medicare (?:hmo|ppo)|part c"),
    ("medicaid", r"medicaid|medi cal|masshealth|tenncare"),
    ("medicare", r"medicare|medigap"),
    (
        "none",
        r"un ?insured|no (?:health )?(?:insurance|coverage)|not insured|"
        r"(?:dont|do not|dont even|doesnt|does not) have (?:any )?(?:health )?"
        r"(?:insurance|coverage)|"
        r"without (?:any )?(?:health )?insurance|self ?pay(?:ing)?|lost my insurance",
    ),
    ("hmo", r"hmo"),
    ("ppo", r"ppo"),
    ("other", r"tricare|champva|cobra|high deductible|hdhp|epo plan|marketplace plan|obamacare"),
)
_PLAN_RULES = tuple((key, re.compile(rf"\b(?:{words})\b")) for key, words in _PLAN_MENTIONS)


def mentioned_plan_type(text: str | None) -> str | None:
    """"I don't have insurance" -> "none", "I'm on Medicare" -> "medicare", "cash?" -> None."""
    clean = normalize_text(text)
    for key, pattern in _PLAN_RULES:
        if pattern.search(clean):
            return None if key == "none" and offers_self_pay_as_a_choice(text) else key
    return None


# "will my insurance pay for this or is it out of pocket": self-pay offered as the other choice
# of a question is not a statement that there is no insurance.
_SELF_PAY_AS_A_CHOICE = re.compile(
    r"\bor (?:is it |will it be |would it be |do i |will i |would i |should i |i |we |just )?"
    r"(?:have to |need to )?(?:pay (?:it |for it )?)?(?:all )?"
    r"(?:out of (?:my own )?pocket|self ?pay\w*|cash|(?:by )?myself)\b"
)


def offers_self_pay_as_a_choice(text: str | None) -> bool:
    """The message asks whether it is insurance or self-pay, stating neither."""
    return bool(_SELF_PAY_AS_A_CHOICE.search(normalize_text(text)))


_DOCTOR = (
    r"(?:doctor|doc|dr|physician|surgeon|oncologist|neurologist|gp|pcp|specialist|urologist|"
    r"orthopedist|cardiologist|neurosurgeon|gynecologist|obgyn|pediatrician)"
)
# What the doctor asked for must be the second read: "my doctor wants an MRI" is not a request.
_SECOND_READ = (
    r"(?: \w+){0,4}? (?:second|2nd|third|another|other|opinion|review|reread|re read|it|this|"
    r"that|one)\b"
)
_DOCTOR_ASKED = re.compile(
    rf"\b{_DOCTOR}s? (?:has |have |had |also )?(?:asked|asks|requested|requests|recommended|"
    r"recommends|suggested|suggests|wants|wanted|ordered|agreed|agrees|would like|"
    rf"is requesting|told me to get){_SECOND_READ}"
    rf"|\b{_DOCTOR}s? (?:has |had )?referred (?:me|us|him|her|them)\b"
    rf"|\b(?:at|on) (?:my|the|our) {_DOCTOR}s? (?:request|advice|recommendation)\b"
    rf"|\breferred by (?:my|the|our) {_DOCTOR}\b"
    # "her oncologist actually brought it up first", "it was my surgeon's idea"
    rf"|\b{_DOCTOR}s? (?:\w+ )?(?:brought (?:it |this |that )?up|raised (?:it|this|that)|"
    r"mentioned (?:it|this|that)|came up with (?:it|this|that)|"
    r"(?:it )?was (?:his|her|their) idea)\b"
    rf"|\b(?:it was|its|was) (?:\w+ )?(?:the|my|her|his|our|their) (?:\w+ )?{_DOCTOR}s? idea\b"
)
_DOCTOR_DID_NOT = re.compile(
    rf"\b{_DOCTOR}s? (?:didnt|did not|doesnt|does not|hasnt|has not|wont|will not|isnt|is not)"
    r" (?:ask|request|recommend|suggest|want|order|agree|refer|know|requesting)\b"
    r"|\b(?:on my own|my own idea|without (?:a |my )?(?:referral|doctor))\b"
)


def mentioned_physician_request(text: str | None) -> str | None:
    """"my doctor asked for a second opinion" -> "yes"; "my doctor doesn't know" -> "no"."""
    clean = normalize_text(statements(text))
    if _DOCTOR_DID_NOT.search(clean):
        return "no"
    return "yes" if _DOCTOR_ASKED.search(clean) else None


_SURGERY = (
    r"(?:surgery|surgeries|operation|resection|biopsy|major procedure|transplant|amputation|"
    r"ablation)"
)
_SURGERY_PLANNED = re.compile(
    rf"\b{_SURGERY} (?:that |which )?(?:is |was |has been |are |been )?"
    r"(?:planned|scheduled|booked|recommended|set|coming up|next week|next month)\b"
    rf"|\b(?:before|ahead of) (?:my|the|his|her|their|our) (?:\w+ )?{_SURGERY}\b"
    r"|\b(?:want|wants|plan|plans|planning|going|recommend|recommends|recommended) to operate\b"
    rf"|\b(?:scheduled|booked|planned|set up) (?:for|a|an) {_SURGERY}\b"
    r"|\b(?:need|needs|needing|having|have|facing) (?:a |an |major |spine |back |brain )?"
    rf"{_SURGERY}\b"
)
_NO_SURGERY = re.compile(
    rf"\b(?:no|not having|not planning|no plans? for|not facing) (?:any )?(?:major )?{_SURGERY}\b"
    rf"|\b{_SURGERY} (?:is |was )?not (?:planned|scheduled|recommended|needed)\b"
    r"|\bnothing (?:is )?(?:planned|scheduled)\b"
)


def mentioned_surgery(text: str | None) -> str | None:
    """"they want to operate next month" -> "yes"; "no surgery planned" -> "no"."""
    for clause in split_clauses(statements(text)):
        if _NO_SURGERY.search(clause):
            return "no"
        found = _SURGERY_PLANNED.search(clause)
        if found and not is_negated(clause, found.start()):
            return "yes"
    return None


_THE_NETWORK = r"(?:my |our |the |their )?(?:plans? )?network"
_OUT_OF_NETWORK = re.compile(
    rf"\b(?:out of {_THE_NETWORK}|not in {_THE_NETWORK}|outside {_THE_NETWORK}|non network)\b"
)
_IN_NETWORK = re.compile(rf"\b(?:in {_THE_NETWORK}|network provider)\b")


def mentioned_network(text: str | None) -> str | None:
    """"the center is in network" -> "yes"; "they're out-of-network" -> "no"."""
    clean = normalize_text(statements(text))
    if _OUT_OF_NETWORK.search(clean):
        return "no"
    return "yes" if _IN_NETWORK.search(clean) else None
