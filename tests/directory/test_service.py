"""Radiologists near a ZIP code, through the client and a fake registry on loopback."""

from __future__ import annotations

from bot.directory.nppes import NppesClient, make_session
from bot.directory.service import find_nearby, listed_as, zip_for_city, zip_place
from tests.directory.fake_nppes import FakeRegistry, person, serve

NEURO = ("2085N0700X", "Radiology, Neuroradiology")
DIAGNOSTIC = ("2085R0202X", "Radiology, Diagnostic Radiology")


def client(url: str) -> NppesClient:
    return NppesClient(url, session=make_session(backoff=0), timeout=1.0)


def test_zip_centroids_come_from_the_bundled_dataset() -> None:
    place = zip_place("19104")
    assert place is not None and (place.city, place.state) == ("Philadelphia", "PA")
    assert place.latitude is not None and 39 < place.latitude < 41
    assert zip_place("00000") is None


def test_subspecialties_without_a_code_search_diagnostic_radiology() -> None:
    assert listed_as("neuroradiology") == ("2085N0700X", "Neuroradiology")
    assert listed_as("musculoskeletal") == ("2085R0202X", "Diagnostic Radiology")
    assert listed_as(None) == ("2085R0202X", "Diagnostic Radiology")


def test_nearest_listings_first_widening_from_zip_to_state() -> None:
    records = [
        person("1000000079", "Far", "Away", *NEURO, "Pittsburgh", "PA", "15213"),
        person("1000000087", "Near", "By", *NEURO, "Philadelphia", "PA", "191040000"),
        person("1000000095", "Across", "River", *NEURO, "Philadelphia", "PA", "19148"),
        person("1000000103", "Wrong", "Code", *DIAGNOSTIC, "Philadelphia", "PA", "19104"),
    ]
    with serve(FakeRegistry(records)) as fake:
        result = find_nearby(client(fake.url), "neuroradiology", "19104")
    assert result.reachable and result.listed_as == "Neuroradiology" and result.state == "PA"
    assert [r.candidate.name for r in result.ranked] == ["Near By", "Across River", "Far Away"]
    assert result.ranked[0].miles is not None and result.ranked[0].miles < 1
    # The ZIP code first, then its city, then its state: fewer than enough were found.
    assert [(q.get("postal_code"), q.get("city"), q.get("state")) for q in fake.requests] == [
        ("19104", None, None), (None, "Philadelphia", "PA"), (None, None, "PA"),
    ]


def test_an_unreachable_registry_is_reported_not_raised() -> None:
    registry = FakeRegistry(replies=[(500, {}, 0)] * 10)
    with serve(registry) as fake:
        result = find_nearby(client(fake.url), "pediatric", "19104")
    assert not result.reachable and result.ranked == ()
    assert result.listed_as == "Pediatric Radiology"


def test_a_city_and_state_give_one_of_their_zip_codes() -> None:
    postal_code = zip_for_city("Boston", "MA")
    assert postal_code is not None and postal_code.startswith("021")
    assert zip_for_city("Nowhereville", "MA") is None
