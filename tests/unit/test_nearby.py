"""Radiologists near the patient: ZIP codes, distances, ranking and the cards' wording."""

from __future__ import annotations

import pytest

from bot.guidance.nearby import (
    Candidate,
    Place,
    Ranked,
    card,
    distance_miles,
    parse_city_state,
    parse_zip,
    rank,
    wants_to_skip,
)

PHILADELPHIA = Place("Philadelphia", "PA", 39.9640, -75.1972)
PITTSBURGH = Place("Pittsburgh", "PA", 40.4417, -79.9570)
CAMDEN = Place("Camden", "NJ", 39.9448, -75.1066)


def candidate(name: str, place: Place | None, city: str = "", state: str = "") -> Candidate:
    return Candidate(
        name=name, credential="MD", organisation="", address="100 Main St",
        city=city or (place.city if place else ""), state=state or (place.state if place else ""),
        postal_code="19104", phone="", listed_as="Neuroradiology", place=place,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("19104", "19104"),
        ("my zip is 19104-3246", "19104"),
        ("it's 02139.", "02139"),
        ("19104 or maybe 19103", None),  # two codes: ask again
        ("1910", None),
        ("191045", None),
        ("SR-2026-7KQ3MX-3", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_zip(text: str | None, expected: str | None) -> None:
    assert parse_zip(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("skip", True), ("No thanks", True), ("I'd rather not say", True), ("19104", False),
     ("not sure what my zip is", False), ("i'd prefer not to share where i am", True),
     ("I won't give you my postcode", True), ("not comfortable telling you my city", True),
     ("i do not really want to say my zip", True),
     ("i'd like to keep my location private", True), ("can we leave the zip out of it", True),
     ("keep going, my zip is 19104", False)],
)
def test_wants_to_skip(text: str, expected: bool) -> None:
    assert wants_to_skip(text) is expected


def test_distance_between_philadelphia_and_pittsburgh() -> None:
    miles = distance_miles(PHILADELPHIA, PITTSBURGH)
    assert miles is not None and 250 < miles < 265  # about 257 miles as the crow flies


def test_no_distance_without_coordinates() -> None:
    assert distance_miles(PHILADELPHIA, Place("Erie", "PA")) is None


def test_nearest_first_then_same_city_then_same_state_then_the_rest() -> None:
    ranked = rank(
        [
            candidate("Far", PITTSBURGH),
            candidate("Other state, no centroid", None, "Trenton", "NJ"),
            candidate("Same state, no centroid", None, "Erie", "PA"),
            candidate("Near", CAMDEN),
            candidate("Same city, no centroid", None, "Philadelphia", "PA"),
        ],
        PHILADELPHIA,
    )
    assert [r.candidate.name for r in ranked] == [
        "Near", "Far", "Same city, no centroid", "Same state, no centroid",
        "Other state, no centroid",
    ]


def test_a_card_leaves_out_what_is_missing_and_never_says_none() -> None:
    bare = Candidate(
        name="Ada Quill", credential="", organisation="", address="", city="Erie", state="PA",
        postal_code="16501", phone="", listed_as="Pediatric Radiology",
    )
    text = card(Ranked(bare, None))
    assert text.splitlines() == ["Ada Quill", "Erie, PA 16501", "Listed as: Pediatric Radiology"]
    assert "None" not in text


def test_a_full_card() -> None:
    full = Candidate(
        name="Ada Quill", credential="MD", organisation="Fictional Imaging", address="1 Way",
        city="Camden", state="NJ", postal_code="08102", phone="856-555-0100",
        listed_as="Neuroradiology",
    )
    assert card(Ranked(full, 3.4)).splitlines() == [
        "Ada Quill, MD", "Fictional Imaging", "1 Way, Camden, NJ 08102", "Phone: 856-555-0100",
        "Listed as: Neuroradiology", "About 3 miles away",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Boston, MA", ("Boston", "MA")),
        ("near austin tx", ("Austin", "TX")),
        ("we live in Ann Arbor, MI.", ("Ann Arbor", "MI")),
        ("Philly", None),  # no state
        ("Boston, XX", None),  # not a state
        ("19104", None),
    ],
)
def test_parse_city_state(text: str, expected: tuple[str, str] | None) -> None:
    assert parse_city_state(text) == expected
