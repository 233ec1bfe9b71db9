"""The records-request letter download: token-bound to its conversation, PDF and text."""

from __future__ import annotations

import base64
import io
import time
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from bot.config import Settings
from bot.guidance.records_letter import LetterFields
from bot.letters.store import load_letter, remove_letter, save_letter
from bot.security.tokens import issue_token
from bot.web.app import create_app

SECRET = "test-secret-key-for-the-letter-tests"
FIELDS = LetterFields(
    patient_name="Janet Quillfeather", date_of_birth=date(1971, 8, 23),
    center_name="Harbor Imaging", exam="knee MRI", delivery="cd",
)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({
        "SECONDREAD_SECRET_KEY": SECRET, "VAR_DIR": str(tmp_path),
        "SECONDREAD_STORAGE_KEY": base64.b64encode(b"k" * 32).decode(),
    })


@pytest.fixture
def client(settings: Settings) -> TestClient:
    save_letter(settings, "conv-a", FIELDS)
    return TestClient(create_app(settings))


def token(conversation: str, scope: str = "letter", ttl: int = 600) -> str:
    return issue_token(SECRET, conversation, scope, ttl)


def test_the_letter_is_stored_encrypted_and_read_back(settings: Settings) -> None:
    save_letter(settings, "conv-b", FIELDS)
    assert load_letter(settings, "conv-b") == FIELDS
    stored = b"".join(p.read_bytes() for p in (settings.var_dir / "letters").iterdir())
    assert b"Quillfeather" not in stored and b"conv-b" not in stored
    remove_letter(settings, "conv-b")
    assert load_letter(settings, "conv-b") is None


def test_the_pdf_of_the_own_conversation(client: TestClient) -> None:
    response = client.get("/letters/request.pdf", params={"token": token("conv-a")})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "no-store"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Janet Quillfeather" in " ".join(text.split()) and "Harbor Imaging" in text


def test_the_authorization_and_the_text_version(client: TestClient) -> None:
    authorization = client.get("/letters/authorization.pdf", params={"token": token("conv-a")})
    assert authorization.status_code == 200
    text = client.get("/letters/request.txt", params={"token": token("conv-a")})
    assert text.status_code == 200 and "on a CD or DVD" in text.text


def test_another_conversation_cannot_open_it(client: TestClient) -> None:
    response = client.get("/letters/request.pdf", params={"token": token("conv-other")})
    assert response.status_code == 404
    assert b"Quillfeather" not in response.content


@pytest.mark.parametrize("bad", ["upload", "expired", "tampered", "missing"])
def test_bad_tokens_are_refused(client: TestClient, bad: str) -> None:
    value = {
        "upload": token("conv-a", "upload"),
        "expired": issue_token(SECRET, "conv-a", "letter", 60, now=time.time() - 3600),
        "tampered": token("conv-a")[:-3] + "abc",
        "missing": "",
    }[bad]
    response = client.get("/letters/request.pdf", params={"token": value})
    assert response.status_code == 401


def test_unknown_kinds_are_not_found(client: TestClient) -> None:
    assert client.get("/letters/other.pdf", params={"token": token("conv-a")}).status_code == 404
    assert client.get("/letters/request.doc", params={"token": token("conv-a")}).status_code == 404


def test_old_letters_are_purged(settings: Settings) -> None:
    from bot.letters.store import purge_old_letters

    save_letter(settings, "conv-old", FIELDS)
    assert purge_old_letters(settings, 30) == 0
    assert purge_old_letters(settings, 30, now=time.time() + 31 * 24 * 3600) == 1
    assert load_letter(settings, "conv-old") is None


def test_the_follow_up_note_names_what_is_missing(client: TestClient) -> None:
    response = client.get("/letters/follow-up.txt",
                          params={"token": token("conv-a"), "missing": ["dicom", "bogus"]})
    assert response.status_code == 200
    assert "pictures (JPEG, PNG or PDF screenshots)" in response.text
    assert "bogus" not in response.text
