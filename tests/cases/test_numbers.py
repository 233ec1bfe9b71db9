"""Case numbers: shape, randomness, the check symbol catching typos, and forgiving input."""

from __future__ import annotations

import re
from itertools import permutations

import pytest

from bot.cases.numbers import (
    ALPHABET,
    check_symbol,
    is_valid_case_number,
    new_case_number,
    normalize_case_number,
)

SHAPE = re.compile(r"SR-(\d{4})-([0-9A-HJKMNP-TV-Z]{6})-([0-9A-HJKMNP-TV-Z])")
SAMPLE = [new_case_number(2026) for _ in range(300)]


def test_alphabet_is_crockford_base32() -> None:
    assert len(ALPHABET) == len(set(ALPHABET)) == 32
    assert not set("ILOU") & set(ALPHABET)


@pytest.mark.parametrize("year", [2026, 2031, 1999])
def test_new_numbers_have_the_documented_shape(year: int) -> None:
    number = new_case_number(year)
    match = SHAPE.fullmatch(number)
    assert match is not None, number
    assert int(match[1]) == year
    assert match[3] == check_symbol(match[1] + match[2])
    assert is_valid_case_number(number)


def test_new_numbers_are_random() -> None:
    assert len(set(SAMPLE)) == len(SAMPLE)
    # Over 1800 random symbols every one of the 32 shows up.
    assert set("".join(n.split("-")[2] for n in SAMPLE)) == set(ALPHABET)


@pytest.mark.parametrize("year", [999, 10000, -2026])
def test_year_must_have_four_digits(year: int) -> None:
    with pytest.raises(ValueError):
        new_case_number(year)


def _checked_part(number: str) -> str:
    _, year, random_part, check = number.split("-")
    return year + random_part + check


def _as_number(symbols: str) -> str:
    return f"SR-{symbols[:4]}-{symbols[4:10]}-{symbols[10]}"


def test_every_single_symbol_typo_is_caught() -> None:
    for number in SAMPLE[:50]:
        symbols = _checked_part(number)
        for position, original in enumerate(symbols):
            choices = "0123456789" if position < 4 else ALPHABET
            for replacement in choices.replace(original, ""):
                typo = symbols[:position] + replacement + symbols[position + 1 :]
                assert not is_valid_case_number(_as_number(typo)), (number, position, replacement)


def test_every_swap_of_neighbours_is_caught() -> None:
    for number in SAMPLE:
        symbols = _checked_part(number)
        for position in range(len(symbols) - 1):
            a, b = symbols[position], symbols[position + 1]
            if a == b:
                continue
            swapped = _as_number(symbols[:position] + b + a + symbols[position + 2 :])
            if position == 3 and not b.isdigit():  # a letter in the year: no number at all
                assert normalize_case_number(swapped) is None
            else:
                assert not is_valid_case_number(swapped), (number, position)


def test_neighbour_swaps_are_caught_for_every_pair_of_symbols() -> None:
    body = "2026" + "7KQ3MX"
    for position in range(4, 9):
        for a, b in permutations(ALPHABET, 2):
            good = body[:position] + a + b + body[position + 2 :]
            swapped = body[:position] + b + a + body[position + 2 :]
            assert not is_valid_case_number(_as_number(swapped + check_symbol(good)))
    # The last random symbol swapped with the check symbol.
    for last in ALPHABET:
        good = body[:9] + last
        check = check_symbol(good)
        if check != last:
            assert not is_valid_case_number(_as_number(body[:9] + check + last))


@pytest.mark.parametrize(
    "typed",
    [
        "SR-2026-7KQ3MX-{c}",
        "sr-2026-7kq3mx-{c}",
        "SR 2026 7KQ3MX {c}",
        "SR20267KQ3MX{c}",
        "  sr 2026-7kq3mx {c}  ",
        "2026-7KQ3MX-{c}",
        "SR-2O26-7KQ3MX-{c}",  # letter O for zero
        "SR_2026_7KQ3MX_{c}",
    ],
)
def test_normalization_forgives_how_people_type(typed: str) -> None:
    check = check_symbol("20267KQ3MX")
    expected = f"SR-2026-7KQ3MX-{check}"
    assert normalize_case_number(typed.format(c=check.lower())) == expected
    assert is_valid_case_number(typed.format(c=check))


def test_lookalike_letters_read_as_digits() -> None:
    body = "2026" + "1Q0M1X"
    number = f"SR-2026-1Q0M1X-{check_symbol(body)}"
    for typed in ("SR-2026-IQOMLX", "SR-2026-iqomlx", "SR-2026-LQoMIX"):
        full = f"{typed}-{check_symbol(body)}"
        assert normalize_case_number(full) == number
        assert is_valid_case_number(full)


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "SR",
        "SR-2026-7KQ3MX",  # no check symbol
        "SR-2026-7KQ3MX-44",  # one symbol too many
        "SR-26-7KQ3MX-4",  # two-digit year
        "SR-2026-7KQ3UX-4",  # U is not in the alphabet
        "SR-2026-7KQ#MX-4",
        "XR-2026-7KQ3MX-4",
        "SR-20A6-7KQ3MX-4",  # letter in the year
    ],
)
def test_malformed_text_is_not_a_case_number(typed: str) -> None:
    assert normalize_case_number(typed) is None
    assert not is_valid_case_number(typed)
