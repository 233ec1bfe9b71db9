"""Text clean-up shared by the parsers and the red-flag net.

Patients type "C.T.", "don't", "x-ray" and "Medi-Cal"; matching works on one lower-case,
punctuation-free form so the keyword tables stay short.
"""

from __future__ import annotations

import re

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})
# A dot right after a one-letter word is an abbreviation ("C.T.", "M.R.I."): join the letters.
_ABBREVIATION_DOT = re.compile(r"(?<=\b[a-z])\.")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
# Clause breaks keep negation ("no chest pain") from leaking into the next statement.
# A dot ends a clause only before a space or the end, and never after a one-letter word ("C.T.")
# or a title ("Dr. Lee", "Mr. Smith").
_CLAUSE_BREAK = re.compile(
    r"(?<!\b[a-z])(?<!\bdr)(?<!\bmr)(?<!\bms)(?<!\bmrs)(?<!\bst)\.(?=\s|$)|[;:!?\n,]|\bbut\b",
    re.IGNORECASE,
)


def normalize_text(text: str | None) -> str:
    """Lower-case words separated by single spaces; apostrophes dropped ("don't" -> "dont")."""
    if not text:
        return ""
    lowered = text.lower().translate(_QUOTES)
    lowered = _ABBREVIATION_DOT.sub("", lowered).replace("'", "")
    return _NOT_WORD.sub(" ", lowered).strip()


def split_clauses(text: str | None) -> tuple[str, ...]:
    """Normalized clauses of a message, empty ones left out."""
    if not text:
        return ()
    parts = (normalize_text(part) for part in _CLAUSE_BREAK.split(text))
    return tuple(part for part in parts if part)


NEGATORS = frozenset(
    {
        "no", "not", "dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent", "without",
        "never", "havent", "hasnt", "wont", "denies", "deny", "nor",
    }
)
# Words that end the reach of a negation: "it's not cancer but complicated" stays complicated.
_NEGATION_STOPS = frozenset({"and", "or", "so", "just", "because", "then", "now"})


def is_negated(clause: str, start: int, window: int = 3) -> bool:
    """True when one of the few words before position `start` negates what follows."""
    before = clause[:start].split()[-window:]
    for index in range(len(before) - 1, -1, -1):
        word = before[index]
        if word in _NEGATION_STOPS:
            return False
        following = before[index + 1] if index + 1 < len(before) else ""
        # "not sure if surgery ..." hedges; it does not deny the surgery.
        if word in NEGATORS and following != "sure":
            return True
    return False
