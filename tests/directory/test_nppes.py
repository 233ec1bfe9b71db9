"""The NPI Registry client against a fake registry on loopback."""

from __future__ import annotations

import logging

import pytest

from bot.directory.nppes import CACHE_SECONDS, NppesClient, Query, RegistryError, make_session
from tests.directory.fake_nppes import FakeRegistry, organisation, person, serve

NEURO = ("2085N0700X", "Radiology, Neuroradiology")
DIAGNOSTIC = ("2085R0202X", "Radiology, Diagnostic Radiology")
QUERY = Query(taxonomy_code="2085N0700X", taxonomy_description="Neuroradiology", state="PA")


def client(url: str, **kwargs: object) -> NppesClient:
    return NppesClient(url, session=make_session(backoff=0), timeout=1.0, **kwargs)  # type: ignore[arg-type]


def test_results_are_filtered_on_the_taxonomy_code_not_the_description() -> None:
    records = [
        person("1000000004", "Ada", "Quill", *NEURO, "Philadelphia", "PA", "191043246"),
        # The description matches "Neuroradiology" as text, but the code is another one.
        person("1000000012", "Bo", "Marsh", "2085D0003X", "Radiology, Diagnostic Neuroradiology",
               "Philadelphia", "PA", "19104"),
    ]
    with serve(FakeRegistry(records)) as fake:
        found = client(fake.url).search(QUERY)
    assert [p.npi for p in found] == ["1000000004"]
    assert fake.requests[0]["version"] == "2.1"
    assert fake.requests[0]["taxonomy_description"] == "Neuroradiology"


def test_old_and_new_record_shapes_are_read_alike() -> None:
    records = [
        person(1000000020, "Cy", "Old", *NEURO, "Pittsburgh", "PA", "152131234", old=True),
        person("1000000038", "Di", "New", *NEURO, "Pittsburgh", "PA", "15213"),
        organisation("1000000046", "Fictional Imaging Group", *NEURO, "Pittsburgh", "PA",
                     "152130000"),
    ]
    with serve(FakeRegistry(records)) as fake:
        found = client(fake.url).search(QUERY)
    old, new, org = found
    assert (old.npi, old.name, old.credential) == ("1000000020", "Cy Old", "MD")
    assert new.name == "Di New" and new.is_person
    assert org.name == "Fictional Imaging Group" and not org.is_person
    # The practice location, not the mailing address; five-digit ZIP; no "--" placeholders.
    assert old.address is not None
    assert (old.address.city, old.address.state, old.address.postal_code) == (
        "Pittsburgh", "PA", "15213")
    assert old.address.line == "100 Main St"


def test_pages_through_results_until_enough() -> None:
    records = [
        person(f"10000{i:05d}", "Fi", f"Name{i}", *NEURO, "Erie", "PA", "16501") for i in range(7)
    ]
    with serve(FakeRegistry(records)) as fake:
        found = client(fake.url).search(QUERY, wanted=5, page_size=2)
    assert len(found) == 5
    assert [r["skip"] for r in fake.requests] == ["0", "2", "4"]
    assert all(r["limit"] == "2" for r in fake.requests)


def test_an_empty_result_is_an_empty_list() -> None:
    with serve(FakeRegistry([])) as fake:
        assert client(fake.url).search(QUERY) == []


@pytest.mark.parametrize("number", ["04", "07"])
def test_an_error_sent_with_http_200_is_an_error(number: str) -> None:
    error = {"Errors": [{"description": "No valid search criteria", "number": number}]}
    registry = FakeRegistry(replies=[(200, error, 0)])
    with serve(registry) as fake, pytest.raises(RegistryError, match=number):
        client(fake.url).search(QUERY)


def test_a_server_error_is_retried_then_answered() -> None:
    records = [person("1000000053", "Gil", "Ray", *NEURO, "Erie", "PA", "16501")]
    registry = FakeRegistry(records, replies=[(500, {}, 0), (503, {}, 0)])
    with serve(registry) as fake:
        found = client(fake.url).search(QUERY)
    assert [p.npi for p in found] == ["1000000053"]
    assert len(fake.requests) == 3


def test_a_server_error_that_persists_is_a_registry_error() -> None:
    registry = FakeRegistry(replies=[(500, {}, 0)] * 5)
    with serve(registry) as fake, pytest.raises(RegistryError):
        client(fake.url).search(QUERY)


def test_a_slow_registry_is_a_registry_error() -> None:
    registry = FakeRegistry(replies=[(200, {"results": []}, 1.5)] * 3)
    with serve(registry) as fake, pytest.raises(RegistryError):
        NppesClient(fake.url, session=make_session(retries=0), timeout=0.3).search(QUERY)


def test_offline_never_calls() -> None:
    with serve(FakeRegistry()) as fake, pytest.raises(RegistryError):
        client(fake.url, offline=True).search(QUERY)
    assert fake.requests == []


def test_answers_are_cached_for_a_day() -> None:
    now = [0.0]
    records = [person("1000000061", "Hu", "Lo", *NEURO, "Erie", "PA", "16501")]
    with serve(FakeRegistry(records)) as fake:
        registry_client = client(fake.url, clock=lambda: now[0])
        registry_client.search(QUERY)
        now[0] = CACHE_SECONDS - 1
        registry_client.search(QUERY)
        assert len(fake.requests) == 1
        now[0] = CACHE_SECONDS + 1
        registry_client.search(QUERY)
        assert len(fake.requests) == 2


def test_the_location_is_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    query = Query(taxonomy_code="2085N0700X", taxonomy_description="Neuroradiology",
                  city="Scranton", postal_code="18503")
    registry = FakeRegistry(replies=[(500, {}, 0)] * 5)
    with caplog.at_level(logging.DEBUG), serve(registry) as fake, pytest.raises(RegistryError):
        client(fake.url).search(query)
    assert "18503" not in caplog.text and "Scranton" not in caplog.text
