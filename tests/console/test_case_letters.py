"""The records request on a case page, and the letters regenerated with the case's details."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from bot.cases import CaseService
from bot.config import Settings
from bot.guidance.records_letter import LetterFields
from bot.letters.requests import RecordsRequests
from bot.letters.store import save_letter, save_reports
from tests.cases.conftest import JANE, KNEE_MRI, FakeClock
from tests.letters.test_pdf import text_of

CONVERSATION = "conv-letter"
REPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "reports"


@pytest.fixture
def case_number(sessions: sessionmaker[Session], clock: FakeClock) -> str:
    return CaseService(sessions, clock).open_case(CONVERSATION, "rest", JANE, KNEE_MRI).number


def test_without_a_request_the_case_says_so_and_still_offers_the_letters(
    agent: TestClient, case_number: str
) -> None:
    page = agent.get(f"/console/cases/{case_number}")
    assert "No records request was written in the chat." in page.text
    assert f"/console/cases/{case_number}/letters/request.pdf" in page.text


def test_the_case_shows_when_and_from_where_records_were_requested(
    agent: TestClient, case_number: str, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    RecordsRequests(sessions, clock).record(CONVERSATION, "rest", "Harbor Imaging", "knee MRI")
    page = agent.get(f"/console/cases/{case_number}")
    assert "Records requested on" in page.text and "from Harbor Imaging" in page.text
    assert "Follow-ups sent: 0 of 2" in page.text
    assert "Nothing has been uploaded since the request." in page.text


def test_the_regenerated_letter_has_the_case_details_and_the_chat_center(
    agent: TestClient, case_number: str, settings: Settings
) -> None:
    save_letter(settings, CONVERSATION, LetterFields(center_name="Harbor Imaging", delivery="usb"))
    pdf = agent.get(f"/console/cases/{case_number}/letters/request.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["cache-control"] == "no-store"
    text = " ".join(text_of(pdf.content).split())
    for expected in (JANE.full_name, "August 23, 1971", JANE.email, "Harbor Imaging", "USB"):
        assert expected in text, expected
    assert "None" not in text
    plain = agent.get(f"/console/cases/{case_number}/letters/authorization.txt").text
    assert JANE.full_name in plain and "164.508" in plain


def test_without_a_chat_letter_the_case_facility_is_the_addressee(
    agent: TestClient, case_number: str
) -> None:
    plain = agent.get(f"/console/cases/{case_number}/letters/request.txt").text
    assert JANE.full_name in plain and "knee MRI" in plain and "Harbor Imaging" in plain


def test_unknown_letters_and_cases_are_not_found(agent: TestClient, case_number: str) -> None:
    assert agent.get(f"/console/cases/{case_number}/letters/other.pdf").status_code == 404
    assert agent.get("/console/cases/SR-XXXXXX/letters/request.pdf").status_code == 404


def test_signed_out_visitors_get_no_letter(anonymous: TestClient, case_number: str) -> None:
    response = anonymous.get(f"/console/cases/{case_number}/letters/request.pdf")
    assert response.status_code in (302, 303, 401)


def test_the_reports_compared_in_the_chat_are_on_the_case(
    agent: TestClient, case_number: str, settings: Settings
) -> None:
    page = agent.get(f"/console/cases/{case_number}")
    assert "No reports were compared in the chat." in page.text
    assert agent.get(f"/console/cases/{case_number}/comparison.pdf").status_code == 404
    pair = yaml.safe_load((REPORTS / "13-mammogram-side.yml").read_text())
    save_reports(settings, CONVERSATION, pair["a"], pair["b"])
    page = agent.get(f"/console/cases/{case_number}")
    assert "The patient compared two reports in the chat." in page.text
    assert "different side" in page.text
    sheet = agent.get(f"/console/cases/{case_number}/comparison.pdf")
    assert sheet.status_code == 200 and "Where they differ" in text_of(sheet.content)


def test_signed_out_visitors_get_no_comparison(
    anonymous: TestClient, case_number: str, settings: Settings
) -> None:
    pair = yaml.safe_load((REPORTS / "13-mammogram-side.yml").read_text())
    save_reports(settings, CONVERSATION, pair["a"], pair["b"])
    answer = anonymous.get(f"/console/cases/{case_number}/comparison.pdf")
    assert answer.status_code in (302, 303, 401) and b"%PDF" not in answer.content
