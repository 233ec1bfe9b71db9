"""The upload API in-process (TestClient): tokens, limits with their messages, what is stored,
status answers and the upload page."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings, UploadLimits
from bot.security.tokens import issue_token
from bot.storage.encrypted import open_encrypted
from bot.uploads.service import UploadService
from bot.web.uploads_api import UploadsApi
from tests.uploads.conftest import (
    MB,
    SECRET,
    FakeInspector,
    bearer,
    make_app,
    stored_entries,
    token_for,
    upload_rows,
)

MARKER = b"PLAINTEXT-MARKER-Quillfeather-"
OTHER_SECRET = "another-secret-also-at-least-32-bytes"


@pytest.fixture
def client(api: UploadsApi) -> Iterator[TestClient]:
    with TestClient(make_app(api)) as client:
        yield client


def _limited(api: UploadsApi, **limits: int) -> TestClient:
    settings = replace(api.settings, upload_limits=UploadLimits(**limits))
    service = UploadService(api.service._sessions, settings)
    return TestClient(make_app(UploadsApi(settings, service, inspect=FakeInspector())))


def _post(client: TestClient, files: list[tuple[str, bytes]], **kwargs: object) -> object:
    parts = [("file", (name, data, "application/octet-stream")) for name, data in files]
    return client.post("/api/uploads", files=parts, **kwargs)  # type: ignore[arg-type]


def test_upload_returns_ids_at_once_and_stores_encrypted(
    client: TestClient, api: UploadsApi, settings: Settings
) -> None:
    first, second = MARKER * 1000, os.urandom(3 * MB) + MARKER
    response = client.post(
        "/api/uploads",
        files=[
            ("file", ("CD/DICOM/IM0001", first, "application/dicom")),
            ("file", ("report.pdf", second, "application/pdf")),
        ],
        headers=bearer("conv-a"),
    )
    assert response.status_code == 201, response.text
    [upload] = response.json()["uploads"]
    assert upload["id"].startswith("up_")
    assert (upload["files"], upload["bytes"], upload["status"]) == (
        2,
        len(first + second),
        "pending",
    )

    details = api.service.get("conv-a", upload["id"])
    assert details is not None
    assert [f.relative_path for f in details.files] == ["CD/DICOM/IM0001", "report.pdf"]
    assert [f.sha256 for f in details.files] == [
        hashlib.sha256(first).hexdigest(), hashlib.sha256(second).hexdigest(),
    ]  # fmt: skip
    files = [p for p in stored_entries(settings) if p.is_file()]
    assert len(files) == 2
    for path, plaintext in zip(sorted(files), (first, second), strict=True):
        stored = path.read_bytes()
        assert MARKER not in stored and b"Quillfeather" not in stored
        # Server-generated names only: nothing the patient sent became a path.
        assert path.name in ("f000001.sre", "f000002.sre")
        with open_encrypted(path, settings.storage_key) as stream:
            assert stream.read() == plaintext


def test_the_worker_checks_the_upload(
    client: TestClient, api: UploadsApi, inspector: FakeInspector
) -> None:
    data = os.urandom(1000)
    response = _post(client, [("a/b.dcm", data)], headers=bearer("conv-a"))
    upload_id = response.json()["uploads"][0]["id"]  # type: ignore[attr-defined]
    client.portal.call(api.worker.idle)  # type: ignore[union-attr]
    status = client.get(f"/api/uploads/{upload_id}", headers=bearer("conv-a")).json()
    assert (status["status"], status["ok"], status["message"]) == (
        "checked", True, "I found 1 files.",
    )  # fmt: skip
    assert status["paths"] == ["a/b.dcm"] and status["checked_at"]
    record = api.service.statuses("conv-a", [upload_id])[0]
    assert record.verdict is not None
    assert record.verdict["sha256"] == {"a/b.dcm": hashlib.sha256(data).hexdigest()}
    listed = client.get("/api/uploads", headers=bearer("conv-a")).json()["uploads"]
    assert [u["id"] for u in listed] == [upload_id]
    assert inspector.calls == [["a/b.dcm"]]


def test_folder_paths_from_path_fields_and_odd_names(client: TestClient, api: UploadsApi) -> None:
    response = client.post(
        "/api/uploads",
        data={"path": ["CD\\DICOM\\IM1", "../../etc/passwd"]},
        files=[("file", ("IM1", b"1")), ("file", ("passwd", b"2"))],
        headers=bearer("conv-a"),
    )
    assert response.status_code == 201, response.text
    details = api.service.get("conv-a", response.json()["uploads"][0]["id"])
    assert details is not None
    assert [f.relative_path for f in details.files] == ["CD/DICOM/IM1", "etc/passwd"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": f"Bearer {issue_token(OTHER_SECRET, 'conv-a', 'upload', 60)}"},
        {"Authorization": f"Bearer {issue_token(SECRET, 'conv-a', 'upload', -10)}"},
    ],
    ids=["missing", "garbage", "basic", "wrong-secret", "expired"],
)
def test_upload_needs_a_valid_token(
    client: TestClient, settings: Settings, headers: dict[str, str]
) -> None:
    response = _post(client, [("a.dcm", b"data")], headers=headers)
    assert response.status_code == 401  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["error"] == "unauthorized" and "new one" in body["message"]
    assert stored_entries(settings) == []


def test_upload_link_token_in_query_or_form_field(client: TestClient) -> None:
    token = token_for("conv-a", "upload")
    by_query = _post(client, [("a.dcm", b"1")], params={"token": token})
    assert by_query.status_code == 201  # type: ignore[attr-defined]
    by_field = client.post("/api/uploads", data={"token": token}, files=[("file", ("a.dcm", b"2"))])
    assert by_field.status_code == 201, by_field.text


def test_a_token_field_after_the_files_is_too_late(client: TestClient, settings: Settings) -> None:
    body = (
        b'--B\r\nContent-Disposition: form-data; name="file"; filename="a.dcm"\r\n\r\n1\r\n'
        b'--B\r\nContent-Disposition: form-data; name="token"\r\n\r\n'
        + token_for("conv-a").encode()
        + b"\r\n--B--\r\n"
    )
    response = client.post(
        "/api/uploads", content=body, headers={"Content-Type": "multipart/form-data; boundary=B"}
    )
    assert response.status_code == 401
    assert [p for p in stored_entries(settings) if p.is_file()] == []


def test_status_of_another_conversations_upload_is_not_found(client: TestClient) -> None:
    response = _post(client, [("a.dcm", b"1")], headers=bearer("conv-a"))
    upload_id = response.json()["uploads"][0]["id"]  # type: ignore[attr-defined]
    assert client.get(f"/api/uploads/{upload_id}", headers=bearer("conv-a")).status_code == 200
    theirs = client.get(f"/api/uploads/{upload_id}", headers=bearer("conv-b"))
    unknown = client.get("/api/uploads/up_doesnotexist", headers=bearer("conv-b"))
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.json() == unknown.json()
    assert client.get("/api/uploads", headers=bearer("conv-b")).json() == {"uploads": []}
    assert client.get(f"/api/uploads/{upload_id}").status_code == 401
    assert client.get("/api/uploads").status_code == 401


def test_request_too_large_by_header_is_refused_before_reading(api: UploadsApi) -> None:
    with _limited(api, max_request_bytes=1000) as client:
        response = _post(client, [("a.dcm", b"x" * 2000)], headers=bearer("conv-a"))
    assert response.status_code == 413  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["error"] == "request_too_large"
    assert "1000 bytes" in body["message"] and "smaller parts" in body["message"]
    assert upload_rows(api.service._sessions) == []


def test_request_too_large_by_streamed_count(api: UploadsApi, settings: Settings) -> None:
    def body() -> Iterator[bytes]:  # chunked: no Content-Length to go by
        yield b'--B\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n'
        for _ in range(40):
            yield b"x" * 100_000
        yield b"\r\n--B--\r\n"

    with _limited(api, max_request_bytes=MB) as client:
        response = client.post(
            "/api/uploads",
            content=body(),
            headers={**bearer("conv-a"), "Content-Type": "multipart/form-data; boundary=B"},
        )
    assert response.status_code == 413
    assert response.json()["error"] == "request_too_large"
    assert upload_rows(api.service._sessions) == []
    assert stored_entries(settings) == []


def test_conversation_total_limit(api: UploadsApi, settings: Settings) -> None:
    with _limited(api, max_conversation_bytes=5000) as client:
        assert _post(client, [("a", b"x" * 3000)], headers=bearer("conv-a")).status_code == 201  # type: ignore[attr-defined]
        refused = _post(client, [("b", b"x" * 2500)], headers=bearer("conv-a"))
        assert refused.status_code == 413  # type: ignore[attr-defined]
        body = refused.json()  # type: ignore[attr-defined]
        assert body["error"] == "conversation_quota_exceeded"
        assert "already sent" in body["message"]
        # Streamed (no Content-Length) is caught while streaming, too.
        streamed = client.post(
            "/api/uploads",
            content=iter([
                b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"c\"\r\n\r\n",
                b"x" * 2500,
                b"\r\n--B--\r\n",
            ]),
            headers={**bearer("conv-a"), "Content-Type": "multipart/form-data; boundary=B"},
        )  # fmt: skip
        assert streamed.status_code == 413
        assert _post(client, [("d", b"x" * 2000)], headers=bearer("conv-a")).status_code == 201  # type: ignore[attr-defined]
        assert _post(client, [("e", b"x" * 4000)], headers=bearer("conv-b")).status_code == 201  # type: ignore[attr-defined]
    assert len([p for p in stored_entries(settings) if p.is_file()]) == 3


def test_too_many_files(api: UploadsApi, settings: Settings) -> None:
    with _limited(api, max_files_per_study=3) as client:
        response = _post(client, [(f"IM{i}", b"x") for i in range(4)], headers=bearer("conv-a"))
        assert response.status_code == 413  # type: ignore[attr-defined]
        body = response.json()  # type: ignore[attr-defined]
        assert body["error"] == "too_many_files" and "3 files" in body["message"]
        ok = _post(client, [(f"IM{i}", b"x") for i in range(3)], headers=bearer("conv-a"))
        assert ok.status_code == 201  # type: ignore[attr-defined]
    assert len([p for p in stored_entries(settings) if p.is_file()]) == 3


@pytest.mark.parametrize(
    ("content_type", "body", "status", "error"),
    [
        ("application/json", b"{}", 415, "unsupported_media_type"),
        ("multipart/form-data; boundary=B", b"--B\r\nContent-Disposition: form-data; name=\"file\";"
         b" filename=\"a\"\r\n\r\npartial", 400, "malformed_upload"),
        ("multipart/form-data; boundary=B", b"--B\r\nContent-Disposition: form-data; name=\"x\""
         b"\r\n\r\n1\r\n--B--\r\n", 400, "no_files"),
        ("multipart/form-data; boundary=B", b"--B\r\nContent-Disposition: form-data; name=\"file\";"
         b" filename=\"\"\r\n\r\n\r\n--B--\r\n", 400, "no_files"),
        ("multipart/form-data; boundary=B", b"garbage", 400, "malformed_upload"),
    ],
    ids=["json", "cut-short", "no-file-part", "empty-file-input", "garbage"],
)  # fmt: skip
def test_malformed_requests(
    client: TestClient, api: UploadsApi, settings: Settings,
    content_type: str, body: bytes, status: int, error: str,
) -> None:  # fmt: skip
    response = client.post(
        "/api/uploads", content=body, headers={**bearer("conv-a"), "Content-Type": content_type}
    )
    assert (response.status_code, response.json()["error"]) == (status, error)
    assert response.json()["message"]
    assert upload_rows(api.service._sessions) == []
    assert stored_entries(settings) == []


def test_empty_files_are_kept(client: TestClient, api: UploadsApi) -> None:
    response = _post(client, [("empty.dcm", b""), ("b", b"1")], headers=bearer("conv-a"))
    assert response.json()["uploads"][0]["files"] == 2  # type: ignore[attr-defined]


def test_upload_page(client: TestClient) -> None:
    token = token_for("conv-a", "upload")
    page = client.get("/upload", params={"token": token})
    assert page.status_code == 200
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    policy = page.headers["content-security-policy"]
    nonce = policy.split("'nonce-")[1].split("'")[0]
    assert f'<script nonce="{nonce}">' in page.text and "connect-src 'self'" in policy
    html = page.text
    assert 'type="file"' in html and "webkitdirectory" in html and "multiple" in html
    assert f'data-token="{token}"' in html and "<progress" in html
    assert "go back to the chat" in html
    expired = client.get("/upload", params={"token": issue_token(SECRET, "c", "upload", -1)})
    assert (
        expired.status_code == 401
        and "expired" in expired.text
        and "data-token" not in expired.text
    )
    assert client.get("/upload").status_code == 401


def test_refusals_never_quote_file_names(api: UploadsApi) -> None:
    with _limited(api, max_files_per_study=1) as client:
        response = _post(
            client, [("Jane Doe/IM1", b"1"), ("Jane Doe/IM2", b"2")], headers=bearer("conv-a")
        )
    assert "Jane" not in response.text  # type: ignore[attr-defined]


def test_service_sessions_are_separate(
    api: UploadsApi, sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    # The fixtures share one database: rows written through the API are visible here.
    assert api.service._sessions is sqlite_sessions


def test_a_full_disk_is_a_clear_503_and_leaves_nothing(
    client: TestClient, api: UploadsApi, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.storage.encrypted import EncryptedWriter

    def full(_self: object, _data: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(EncryptedWriter, "write", full)
    response = _post(client, [("a.dcm", b"x" * 3 * MB)], headers=bearer("conv-a"))
    assert response.status_code == 503  # type: ignore[attr-defined]
    assert response.json()["error"] == "storage_unavailable"  # type: ignore[attr-defined]
    assert upload_rows(api.service._sessions) == []
    assert stored_entries(settings) == []


def test_a_folder_of_many_small_files(client: TestClient, api: UploadsApi) -> None:
    files = [(f"CD/DICOM/S1/IM{i:04d}", os.urandom(200)) for i in range(600)]
    response = _post(client, files, headers=bearer("conv-a"))
    assert response.status_code == 201  # type: ignore[attr-defined]
    [upload] = response.json()["uploads"]  # type: ignore[attr-defined]
    assert (upload["files"], upload["bytes"]) == (600, 600 * 200)
    details = api.service.get("conv-a", upload["id"])
    assert details is not None
    assert [f.relative_path for f in details.files] == [name for name, _ in files]
    assert [f.sha256 for f in details.files] == [hashlib.sha256(d).hexdigest() for _, d in files]
    status = client.get(f"/api/uploads/{upload['id']}", headers=bearer("conv-a")).json()
    assert len(status["paths"]) == 100  # the first ones only


def test_a_storage_error_among_many_small_files_leaves_nothing(
    client: TestClient, api: UploadsApi, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.storage.encrypted import EncryptedWriter

    original = EncryptedWriter.__init__
    created: list[int] = []

    def failing_on_the_150th(self: EncryptedWriter, *args: object, **kwargs: object) -> None:
        created.append(1)
        if len(created) == 150:
            raise OSError(28, "No space left on device")
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(EncryptedWriter, "__init__", failing_on_the_150th)
    files = [(f"CD/IM{i:04d}", os.urandom(100)) for i in range(300)]
    response = _post(client, files, headers=bearer("conv-a"))
    assert response.status_code == 503  # type: ignore[attr-defined]
    assert upload_rows(api.service._sessions) == []
    assert stored_entries(settings) == []
