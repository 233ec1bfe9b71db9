"""Staff run the patient's radiologist search from a case, against a fake NPI Registry."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from bot.cases import CaseService
from bot.directory import service
from bot.directory.nppes import NppesClient, make_session
from tests.cases.conftest import JANE, KNEE_MRI, FakeClock
from tests.directory.fake_nppes import FakeRegistry, person, serve

DIAGNOSTIC = ("2085R0202X", "Radiology, Diagnostic Radiology")


@pytest.fixture
def case_number(sessions: sessionmaker[Session], clock: FakeClock) -> str:
    return CaseService(sessions, clock).open_case("conv-dir", "rest", JANE, KNEE_MRI).number


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeRegistry]:
    records = [
        person("1000000137", "Pia", "Nearby", *DIAGNOSTIC, "Boston", "MA", "021151234"),
        person("1000000145", "Quin", "Faraway", *DIAGNOSTIC, "Springfield", "MA", "01103"),
    ]
    with serve(FakeRegistry(records)) as fake:
        client = NppesClient(fake.url, session=make_session(backoff=0), timeout=1.0)
        monkeypatch.setattr("bot.web.console.directory.default_client", lambda: client)
        yield fake
    service.default_client.cache_clear()


def test_the_case_page_offers_the_search(agent: TestClient, case_number: str) -> None:
    page = agent.get(f"/console/cases/{case_number}")
    assert f'action="/console/cases/{case_number}/radiologists"' in page.text


def test_staff_see_listings_nearest_first_with_the_code(
    agent: TestClient, case_number: str, registry: FakeRegistry
) -> None:
    page = agent.get(f"/console/cases/{case_number}/radiologists", params={"zip": "02115"})
    assert page.status_code == 200
    assert page.text.index("Pia Nearby, MD") < page.text.index("Quin Faraway, MD")
    assert "2085R0202X" in page.text  # staff may see the code; patients never do
    assert registry.requests[0]["postal_code"] == "02115"


def test_a_bad_zip_is_refused_without_a_search(
    agent: TestClient, case_number: str, registry: FakeRegistry
) -> None:
    page = agent.get(f"/console/cases/{case_number}/radiologists", params={"zip": "abc"})
    assert page.status_code == 400
    assert registry.requests == []


def test_the_search_needs_a_signed_in_staff_member(
    anonymous: TestClient, case_number: str
) -> None:
    page = anonymous.get(f"/console/cases/{case_number}/radiologists", params={"zip": "02115"},
                         follow_redirects=False)
    assert page.status_code in (302, 303, 401)
    assert "Nearby" not in page.text
