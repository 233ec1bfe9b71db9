"""Second-opinion programs from the packaged CSV, matched to a subspecialty.

Every row names its source page and the date that page showed; several are years old. So the
list never shows prices or turnaround times (they are not current) and always ends with a
reminder to confirm details with the program.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final

CSV_NAME: Final = "second-opinion-programs.csv"
_COLUMNS: Final = (
    "name", "city", "state", "program_name", "subspecialties_mentioned", "how_to_submit",
    "price_or_insurance_note", "turnaround_note", "source_url", "source_seen",
)

# Our subspecialty keys -> the words the CSV's subspecialties_mentioned column uses.
_CSV_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "pediatric": ("pediatric",),
    "neuroradiology": ("neuroradiology", "head and neck"),
    "musculoskeletal": ("musculoskeletal",),
    "breast_imaging": ("breast",),
    "body_imaging": ("body",),
    "nuclear_radiology": ("nuclear",),
    "cardiothoracic": ("cardiothoracic", "cardiac", "thoracic"),
    "vascular_interventional": ("vascular", "interventional"),
}

# Rows with no subspecialty listed whose program is about one topic only (brain-tumor consults
# by neurosurgery/neuro-oncology teams): never offered as "general" for other exams, and for
# their subspecialty only after the radiology programs, since the topic may not fit the case.
_TOPIC_PROGRAMS: Final[dict[str, str]] = {"brain tumor": "neuroradiology"}

_PHYSICIAN_REQUEST: Final = re.compile(
    r"physician (referral|request|prescription) required|prescription from the referring"
    r"|physician must|physician-initiated|physician-to-physician|request must come from"
    r"|requested by the [\w .']{0,40}physician",
    re.IGNORECASE,
)

CAVEAT: Final = (
    "Details were taken from each program's public page (linked above) and may have changed: "
    "please confirm with the program before sending anything."
)


@dataclass(frozen=True)
class Program:
    name: str
    city: str
    state: str
    program_name: str
    subspecialties: tuple[str, ...]
    how_to_submit: str
    price_or_insurance_note: str
    turnaround_note: str
    source_url: str
    source_seen: str

    @property
    def needs_physician_request(self) -> bool:
        """True when the program's page says a physician must make or back the request."""
        return bool(_PHYSICIAN_REQUEST.search(self.how_to_submit))

    @property
    def topic_subspecialty(self) -> str | None:
        """The subspecialty a single-topic program (e.g. brain tumors) is implicitly about."""
        title = f"{self.name} {self.program_name}".lower()
        return next((key for topic, key in _TOPIC_PROGRAMS.items() if topic in title), None)


def _program_from_row(row: dict[str, str]) -> Program:
    cell = {column: (row.get(column) or "").strip() for column in _COLUMNS}
    subspecialties = tuple(
        part.strip() for part in cell["subspecialties_mentioned"].split(";") if part.strip()
    )
    return Program(
        name=cell["name"],
        city=cell["city"],
        state=cell["state"],
        program_name=cell["program_name"],
        subspecialties=subspecialties,
        how_to_submit=cell["how_to_submit"],
        price_or_insurance_note=cell["price_or_insurance_note"],
        turnaround_note=cell["turnaround_note"],
        source_url=cell["source_url"],
        source_seen=cell["source_seen"],
    )


def parse_programs_csv(text: str) -> tuple[Program, ...]:
    """Programs from CSV text; a missing column is an error, not a silent blank."""
    reader = csv.DictReader(io.StringIO(text))
    missing = set(_COLUMNS) - set(reader.fieldnames or ())
    if missing:
        raise ValueError(f"{CSV_NAME} is missing columns: {sorted(missing)}")
    return tuple(_program_from_row(row) for row in reader if (row.get("name") or "").strip())


@cache
def load_programs() -> tuple[Program, ...]:
    """All programs from the CSV packaged next to this module, in file order."""
    package = __name__.rpartition(".")[0]
    text = resources.files(package).joinpath(CSV_NAME).read_text(encoding="utf-8")
    return parse_programs_csv(text)


def _mentions(program: Program, subspecialty_key: str) -> bool:
    words = _CSV_WORDS.get(subspecialty_key, ())
    return any(
        re.search(rf"\b{re.escape(word)}\b", listed.lower())
        for listed in program.subspecialties
        for word in words
    )


def programs_for(subspecialty_key: str | None, limit: int = 3) -> tuple[Program, ...]:
    """Programs that list the subspecialty, then general ones, then single-topic ones for it;
    each group in file order."""
    every = load_programs()
    key = subspecialty_key or "general"
    listed = [p for p in every if key in _CSV_WORDS and _mentions(p, key)]
    topical = [p for p in every if not p.subspecialties and p.topic_subspecialty == key]
    general = [p for p in every if not p.subspecialties and p.topic_subspecialty is None]
    return tuple([*listed, *general, *topical][: max(limit, 0)])


def _place(program: Program) -> str:
    place = ", ".join(part for part in (program.city, program.state) if part)
    return place or "location not listed"


def _line(program: Program) -> str:
    line = f"- {program.name} ({_place(program)}): {program.program_name}."
    if program.needs_physician_request:
        line += " Your doctor needs to make or support the request."
    else:
        line += " Patients can start it themselves."
    for note in (program.turnaround_note, program.price_or_insurance_note):
        if note:
            line += f" {note.rstrip('.')}."
    if program.source_url:
        line += f" {program.source_url}"
    # The dataset says "undated" for pages without a date: leave the date out rather than
    # print an empty or unknown one.
    if program.source_seen and not program.source_seen.lower().startswith("undated"):
        line += f" (details as the page showed them on {program.source_seen})"
    return line


def format_programs(programs: Sequence[Program]) -> str:
    """A short list for the patient, always ending with the confirm-with-the-program caveat."""
    if not programs:
        lines = [
            "I don't have a program on file for this yet. Radiology departments at academic "
            "medical centers often review outside studies; your treating doctor can suggest one."
        ]
    else:
        lines = ["Some programs that review outside imaging:", *map(_line, programs)]
    return "\n".join([*lines, CAVEAT])
