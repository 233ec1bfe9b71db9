"""Case numbers a person can read aloud and type back: `SR-2026-7KQ3MX-4`.

`SR`, the year, 6 random symbols and 1 check symbol, all from Crockford's base32 alphabet
(no I, L, O or U, so nothing looks alike). The check symbol is a Damm check over the year and
the random part, computed in the field GF(32): it catches every single mistyped symbol and
every swap of two neighbours, so most typos are refused before any database lookup.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_LENGTH = 6
PREFIX = "SR"
_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}
# Crockford decoding: letters people type for digits.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-_.]+")
# x^5 + x^2 + 1, irreducible, defines multiplication in GF(32).
_FIELD_POLYNOMIAL = 0b100101


def _times_x(value: int) -> int:
    value <<= 1
    return value ^ _FIELD_POLYNOMIAL if value & 0b100000 else value


def _damm_interim(symbols: Iterable[str]) -> int:
    # The quasigroup a∘b = x·(a XOR b) is totally anti-symmetric with a zero diagonal, which is
    # what makes Damm's scheme catch all single errors and adjacent transpositions.
    interim = 0
    for symbol in symbols:
        interim = _times_x(interim ^ _VALUE[symbol])
    return interim


def check_symbol(body: str) -> str:
    """The symbol that makes the Damm check over `body` + symbol come out to zero."""
    return ALPHABET[_damm_interim(body)]


def new_case_number(year: int) -> str:
    if not 1000 <= year <= 9999:
        raise ValueError(f"year must have four digits, got {year}")
    random_part = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    body = f"{year}{random_part}"
    return f"{PREFIX}-{year}-{random_part}-{check_symbol(body)}"


def normalize_case_number(text: str) -> str | None:
    """The canonical `SR-YYYY-XXXXXX-C` form of what a person typed, or None if it has the
    wrong shape. Ignores case, spaces, dashes and a missing `SR`; reads O as 0 and I/L as 1.
    Does not verify the check symbol (see `is_valid_case_number`)."""
    compact = _SEPARATORS.sub("", text).upper()
    compact = compact.removeprefix(PREFIX).translate(_LOOKALIKES)
    year, random_part, check = compact[:4], compact[4:-1], compact[-1:]
    if len(compact) != 4 + RANDOM_LENGTH + 1 or not all(c in "0123456789" for c in year):
        return None
    if not all(c in _VALUE for c in random_part + check):
        return None
    return f"{PREFIX}-{year}-{random_part}-{check}"


def is_valid_case_number(text: str) -> bool:
    """True when `text` normalizes to a case number whose check symbol is right."""
    normalized = normalize_case_number(text)
    if normalized is None:
        return False
    _, year, random_part, check = normalized.split("-")
    return check_symbol(year + random_part) == check
