"""The compared reports' page and sheet: bound to their conversation, stored encrypted, the
page made for a phone, the sheet a printable PDF."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from pypdf import PdfReader

from bot.config import Settings
from bot.letters.store import load_reports, remove_letter, save_reports
from bot.reports.summary import PROMPTLY
from bot.security.tokens import issue_token
from bot.web.app import create_app

SECRET = "test-secret-key-for-the-comparison-tests"
PAIR = yaml.safe_load(
    (Path(__file__).resolve().parents[1] / "fixtures" / "reports" / "11-mammogram-birads.yml")
    .read_text()
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({
        "SECONDREAD_SECRET_KEY": SECRET, "VAR_DIR": str(tmp_path),
        "SECONDREAD_STORAGE_KEY": base64.b64encode(b"k" * 32).decode(),
    })


@pytest.fixture
def client(settings: Settings) -> TestClient:
    save_reports(settings, "conv-a", PAIR["a"], PAIR["b"])
    return TestClient(create_app(settings))


def token(conversation: str, scope: str = "letter") -> str:
    return issue_token(SECRET, conversation, scope, 600)


def test_the_reports_are_stored_encrypted_and_erased_with_the_letter(settings: Settings) -> None:
    save_reports(settings, "conv-b", PAIR["a"], PAIR["b"])
    assert load_reports(settings, "conv-b") == (PAIR["a"], PAIR["b"])
    stored = b"".join(p.read_bytes() for p in (settings.var_dir / "reports").iterdir())
    assert b"BI-RADS" not in stored and b"conv-b" not in stored
    remove_letter(settings, "conv-b")  # "delete my data" removes every document
    assert load_reports(settings, "conv-b") is None


def test_the_page_shows_the_table_urgency_first(client: TestClient) -> None:
    response = client.get("/reports/comparison", params={"token": token("conv-a")})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    page = response.text
    assert page.index(PROMPTLY.split(".")[0]) < page.index("Where they differ")
    assert 'role="alert"' in page
    for cell in ("BI-RADS 3", "BI-RADS 4B", "Different category", "biopsy",
                 "the breast imaging category"):
        assert cell in page
    assert "Questions for your doctor" in page and "None" not in page
    assert f'/reports/comparison.pdf?token={token("conv-a")[:20]}' in page


def test_the_sheet_is_a_printable_pdf(client: TestClient, tmp_path: Path) -> None:
    response = client.get("/reports/comparison.pdf",
                          params={"token": token("conv-a", "conversation"), "paper": "a4"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert 1 <= len(reader.pages) <= 2
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "BI-RADS 4B" in text and "None" not in text


def test_another_conversation_and_bad_tokens_see_nothing(client: TestClient) -> None:
    other = client.get("/reports/comparison", params={"token": token("conv-z")})
    assert other.status_code == 404 and "BI-RADS" not in other.text
    for bad in ("", "nonsense", token("conv-a", "upload")):
        answer = client.get("/reports/comparison.pdf", params={"token": bad})
        assert answer.status_code == 401 and "BI-RADS" not in answer.text
