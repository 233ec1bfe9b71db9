"""The packaged programs list: matching, physician-request flags and the dated-details caveat."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import bot.guidance.programs as programs_module
from bot.guidance.programs import (
    CAVEAT,
    CSV_NAME,
    Program,
    format_programs,
    load_programs,
    parse_programs_csv,
    programs_for,
)

SUBSPECIALTY_KEYS = [
    "pediatric", "neuroradiology", "musculoskeletal", "breast_imaging", "body_imaging",
    "nuclear_radiology", "cardiothoracic", "vascular_interventional", "general",
]


def short_name(program: Program) -> str:
    """"Duke University Health System - Department of Radiology" -> "Duke University ..."."""
    return program.name.split(" (")[0].split(" - ")[0]


def names(programs: tuple[Program, ...]) -> list[str]:
    return [short_name(program) for program in programs]


MGB = "Mass General Brigham"
DUKE = "Duke University Health System"
HOPKINS = "Johns Hopkins Medicine"


def test_every_row_of_the_packaged_list_becomes_a_program_with_its_source() -> None:
    """No row is dropped on the way (a program the list names is offered), and each one keeps
    the page it came from and when that page was seen, which the bot shows with it."""
    path = Path(programs_module.__file__).with_name(CSV_NAME)
    with path.open(newline="", encoding="utf-8") as file:
        rows = [row for row in csv.DictReader(file) if row["name"].strip()]
    programs = load_programs()
    assert [p.name for p in programs] == [row["name"].strip() for row in rows]
    assert all(program.source_url.startswith("http") and program.source_seen
               for program in programs)


def test_subspecialties_are_split() -> None:
    hopkins = next(p for p in load_programs() if p.name.startswith("Johns Hopkins"))
    assert hopkins.subspecialties == ("neuroradiology", "musculoskeletal", "head and neck")
    assert next(p for p in load_programs() if p.name == "UCSF Health").subspecialties == ()


@pytest.mark.parametrize(
    ("key", "expected_first"),
    [
        (
            "pediatric",
            ["Children's National Hospital", "Cincinnati Children's Hospital Medical Center",
             "DocPanel"],
        ),
        ("neuroradiology", [HOPKINS, "DocPanel", MGB]),
        ("musculoskeletal", [HOPKINS, MGB, DUKE]),
        ("breast_imaging", ["Memorial Sloan Kettering Cancer Center", MGB, DUKE]),
        ("body_imaging", ["DocPanel", MGB, DUKE]),
        ("general", [MGB, DUKE, "UCSF Health"]),
        (None, [MGB, DUKE, "UCSF Health"]),
        ("no_such_key", [MGB, DUKE, "UCSF Health"]),
    ],
)
def test_programs_for_puts_matching_programs_first(
    key: str | None, expected_first: list[str]
) -> None:
    assert names(programs_for(key)) == expected_first


@pytest.mark.parametrize("key", [*SUBSPECIALTY_KEYS, None])
def test_programs_for_never_offers_other_subspecialties(key: str | None) -> None:
    found = programs_for(key, limit=100)
    listed = [p for p in found if p.subspecialties]
    general = [p for p in found if not p.subspecialties]
    # Matching programs come first, then general ones; each group keeps file order.
    assert found == (*listed, *general)
    order = list(load_programs())
    assert [order.index(p) for p in listed] == sorted(order.index(p) for p in listed)
    if key in (None, "general", "nuclear_radiology", "cardiothoracic"):
        assert not listed
    if key != "neuroradiology":
        assert not any("brain tumor" in p.program_name.lower() for p in found)


def test_brain_tumor_programs_come_last_for_neuroradiology() -> None:
    found = programs_for("neuroradiology", limit=100)
    assert all("brain tumor" in p.program_name.lower() for p in found[-3:])


@pytest.mark.parametrize("limit", [0, 1, 2, 5])
def test_limit(limit: int) -> None:
    assert len(programs_for("general", limit=limit)) == limit
    assert programs_for("general", limit=limit) == programs_for("general", limit=100)[:limit]


def test_physician_request_flag_follows_how_to_submit() -> None:
    flagged = {short_name(p) for p in load_programs() if p.needs_physician_request}
    assert flagged == {
        "Memorial Sloan Kettering Cancer Center",
        MGB,
        DUKE,
        "University of Wisconsin",
        "St. Elizabeth Healthcare",
    }


def test_format_lists_name_place_program_and_physician_note() -> None:
    duke = next(p for p in load_programs() if p.name.startswith("Duke"))
    docpanel = next(p for p in load_programs() if p.name == "DocPanel")
    text = format_programs([duke, docpanel])
    duke_line, docpanel_line = text.splitlines()[1:3]
    assert duke.name in duke_line and "Durham, NC" in duke_line and duke.program_name in duke_line
    assert "Your doctor needs to make or support the request." in duke_line
    assert duke_line.endswith(" https://radiology.duke.edu/patient-care/providers/"
                              "interpretation-outside-imaging-studies")
    assert "undated" not in text.lower()
    assert "location not listed" in docpanel_line
    assert "Your doctor needs" not in docpanel_line


def test_format_shows_the_source_date() -> None:
    metis = next(p for p in load_programs() if p.name == "MetisMD")
    assert "http://abc7chicago.com/archive/8877848/ (details as the page showed them on " \
        "2012-11-07)" in format_programs([metis])


@pytest.mark.parametrize("key", [*SUBSPECIALTY_KEYS, None])
def test_format_carries_the_caveat_and_what_each_source_states(key: str | None) -> None:
    listed = programs_for(key, limit=100)
    text = format_programs(listed)
    assert text.endswith(CAVEAT)
    assert "may have changed" in text and "confirm with the program" in text
    assert "undated" not in text.lower() and "None" not in text
    for program, line in zip(listed, text.splitlines()[1:], strict=False):
        # Turnaround and price only as the program's own page states them, next to its link.
        for note in (program.turnaround_note, program.price_or_insurance_note):
            if note:
                assert note.rstrip(".") in line
        assert program.source_url in line
        starts = "Your doctor needs" if program.needs_physician_request else "Patients can start"
        assert starts in line


def test_empty_list_still_carries_the_caveat() -> None:
    text = format_programs([])
    assert "academic medical centers" in text
    assert "may have changed" in text


def test_missing_column_is_an_error() -> None:
    with pytest.raises(ValueError, match="missing columns"):
        parse_programs_csv("name,city\nA,B\n")


def test_parse_skips_blank_rows_and_strips_cells() -> None:
    header = (
        "name,city,state,program_name,subspecialties_mentioned,how_to_submit,"
        "price_or_insurance_note,turnaround_note,source_url,source_seen\n"
    )
    rows = " Clinic ,Town,ST,Review, breast ; pediatric ,Physician referral required,,,https://x,undated\n,,,,,,,,,\n"
    (program,) = parse_programs_csv(header + rows)
    assert program.name == "Clinic"
    assert program.subspecialties == ("breast", "pediatric")
    assert program.needs_physician_request
