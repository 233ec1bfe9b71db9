"""Is a finding there, absent or uncertain, and how did it change? Pure.

The idea of NegEx/ConText (Chapman et al.): a trigger word governs the findings that follow it
(or, for post-triggers such as "is not seen", precede it) up to the end of the clause. Clauses
end at sentence breaks, semicolons and words that turn the sentence ("but", "however").
Uncertainty is checked before negation: "cannot exclude" is not a "no".
"""

from __future__ import annotations

import re

PRESENT, ABSENT, UNCERTAIN = "present", "absent", "uncertain"

CLAUSE_BREAK = re.compile(
    r"(?:(?<!\d)\.(?!\d)|;|\n|\bbut\b|\bhowever\b|\balthough\b|\bexcept\b|\bwhich is\b|"
    r",\s*(?=(?:and )?(?:there (?:is|are)|a |an |the |[a-z]+ (?:is|are) (?:seen|noted|present))))"
)
_UNCERTAIN_BEFORE = re.compile(
    r"\b(?:possibl[ey]|probabl[ey](?! benign)|likely(?! benign)|may (?:represent|be)|"
    r"could (?:represent|be)|"
    r"cannot (?:be )?(?:exclude|excluded|rule out|ruled out)|can ?not exclude|not excluded|"
    r"suspicious (?:for|of)|suggestive of|questionable|concerning for|"
    r"differential (?:diagnosis )?includes?|versus|vs|presumed|suspected|worrisome for|"
    r"consistent with a? ?possible)\b"
)
_UNCERTAIN_AFTER = re.compile(
    r"\b(?:cannot be (?:excluded|ruled out)|is not excluded|are not excluded|is suspected|"
    r"is possible|is questioned|is equivocal)\b"
)
_ABSENT_BEFORE = re.compile(
    r"\b(?:no|not|without|negative for|free of|absence of|absent|no evidence of|"
    r"no definite|no signs? of|rule[sd]? out|ruled out|resolution of|resolved)\b"
)
_ABSENT_AFTER = re.compile(
    r"\b(?:(?:is|are|was|were) (?:not (?:seen|identified|visualized|present|demonstrated)|"
    r"absent|resolved|no longer (?:seen|visible|present))|has resolved|have resolved|"
    r"not seen|not identified|not demonstrated|(?:is|are) not (?:pathologically |significantly )?"
    r"enlarged|(?:is|are) normal in size)\b"
)
_CHANGES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("resolved", re.compile(r"\b(?:resolved|resolution|no longer (?:seen|visible|present))\b")),
    ("new", re.compile(r"\b(?:new|newly|interval development|not present (?:on|in) the prior)\b")),
    ("increased", re.compile(r"\b(?:increased? in|increasing|enlarging|(?:interval )?enlargement|"
                             r"grown|growing|larger|"
                             r"progress\w*|worse\w*)\b")),
    ("decreased", re.compile(r"\b(?:decreased?|decreasing|smaller|shrunk|reduced|reduction|"
                             r"improv\w*|regress\w*)\b")),
    ("stable", re.compile(r"\b(?:stable|unchanged|no (?:significant |interval )?change|"
                          r"similar (?:in size|to prior)|persistent)\b")),
)


def clauses(text: str) -> list[tuple[int, str]]:
    """(start offset, clause) for each clause of the text."""
    found: list[tuple[int, str]] = []
    start = 0
    for match in CLAUSE_BREAK.finditer(text):
        if match.start() > start:
            found.append((start, text[start : match.start()]))
        start = match.end()
    if start < len(text):
        found.append((start, text[start:]))
    return found


def assertion(clause: str, start: int, end: int) -> str:
    """Of the finding at clause[start:end]: present, absent or uncertain."""
    before, after = clause[:start], clause[end:]
    if _UNCERTAIN_BEFORE.search(before) or _UNCERTAIN_AFTER.search(after):
        return UNCERTAIN
    if _ABSENT_BEFORE.search(before) or _ABSENT_AFTER.search(after):
        return ABSENT
    return PRESENT


def change(clause: str) -> str | None:
    for name, pattern in _CHANGES:
        if pattern.search(clause):
            return name
    return None
