"""An upload link (a "link" token sent in a chat) completes one upload, then it is spent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bot.uploads.records import LinkAlreadyUsed, StoredFile
from bot.uploads.service import UploadService
from bot.web.uploads_api import UploadsApi
from tests.uploads.conftest import make_app, token_for


@pytest.fixture
def client(api: UploadsApi) -> Iterator[TestClient]:
    with TestClient(make_app(api)) as client:
        yield client


def send(client: TestClient, token: str) -> tuple[int, dict[str, object]]:
    response = client.post(
        "/api/uploads",
        params={"token": token},
        files=[("file", ("report.pdf", b"%PDF-1.4 hello", "application/pdf"))],
    )
    return response.status_code, response.json()


def test_a_link_uploads_once_then_says_it_was_used(client: TestClient) -> None:
    link = token_for("conv-link", scope="link")
    assert send(client, link)[0] == 201

    status, body = send(client, link)

    assert status == 410
    assert body["error"] == "link_used"
    assert "ask for a new link in the chat" in str(body["message"])
    page = client.get("/upload", params={"token": link})
    assert "already been used" in page.text
    assert 'type="file"' not in page.text


def test_an_unused_link_shows_the_upload_form(client: TestClient) -> None:
    page = client.get("/upload", params={"token": token_for("conv-link", scope="link")})
    assert page.status_code == 200
    assert "already been used" not in page.text
    assert 'type="file"' in page.text


def test_widget_and_bridge_tokens_upload_again_and_again(client: TestClient) -> None:
    for scope in ("conversation", "upload"):
        token = token_for(f"conv-{scope}", scope=scope)
        assert [send(client, token)[0] for _ in range(3)] == [201, 201, 201]


def test_a_second_upload_through_one_link_is_refused_at_completion(
    upload_service: UploadService,
) -> None:
    first, second = upload_service.begin("conv-a"), upload_service.begin("conv-a")
    files = [StoredFile(1, "a.pdf", "f0001", 3, "0" * 64)]
    upload_service.complete(first.id, files, "pdf", link_token_id="jti-1")
    with pytest.raises(LinkAlreadyUsed):
        upload_service.complete(second.id, files, "pdf", link_token_id="jti-1")
    upload_service.abandon(second.id)
    assert [r.status for r in upload_service.for_conversation("conv-a")] == ["pending"]
    assert upload_service.link_used("jti-1") and not upload_service.link_used("jti-2")
