"""The tus 1.0 routes in-process: creation, HEAD, PATCH offsets, termination, expiry, the
upload around the files, tokens and quotas; then a connection cut mid-PATCH on a real server."""

from __future__ import annotations

import base64
import hashlib
import os
import socket
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any, cast
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from bot.config import UploadLimits
from bot.storage.encrypted import open_encrypted
from bot.uploads import resumable
from bot.uploads.service import UploadService
from bot.web.uploads_api import UploadsApi
from tests.uploads.conftest import (
    MB,
    FakeInspector,
    bearer,
    make_app,
    running_server,
    stored_entries,
    upload_rows,
    wait_for,
)

TUS = {"Tus-Resumable": "1.0.0"}
OCTETS = {"Content-Type": "application/offset+octet-stream"}


@pytest.fixture
def client(api: UploadsApi) -> Iterator[TestClient]:
    with TestClient(make_app(api)) as client:
        yield client


def _metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def _begin(client: TestClient, conversation: str = "conv-a") -> str:
    response = client.post("/api/uploads/resumable", headers=bearer(conversation))
    assert response.status_code == 201, response.text
    assert response.json()["tus"] == "/api/tus"
    upload_id: str = response.json()["upload"]["id"]
    return upload_id


def _create(
    client: TestClient, upload: str, length: int, path: str = "CD/DICOM/IM0001",
    conversation: str = "conv-a",
) -> Any:  # fmt: skip
    return client.post(
        "/api/tus",
        headers={
            **TUS, **bearer(conversation), "Upload-Length": str(length),
            "Upload-Metadata": _metadata(upload=upload, filename="IM0001", relativePath=path),
        },
    )  # fmt: skip


def _location(response: Any) -> str:
    assert response.status_code == 201, response.text
    return str(urlsplit(response.headers["Location"]).path)


def _patch(
    client: TestClient, url: str, offset: int, data: bytes, conversation: str = "conv-a"
) -> Any:
    headers = {**TUS, **OCTETS, **bearer(conversation), "Upload-Offset": str(offset)}
    return client.patch(url, headers=headers, content=data)


def _head(client: TestClient, url: str, conversation: str = "conv-a") -> Any:
    return client.head(url, headers={**TUS, **bearer(conversation)})


def _complete(client: TestClient, upload: str, conversation: str = "conv-a") -> Any:
    return client.post(f"/api/uploads/resumable/{upload}/complete", headers=bearer(conversation))


def test_options_announce_the_version_extensions_and_max_size(client: TestClient) -> None:
    response = client.options("/api/tus")
    assert response.status_code == 204
    assert response.headers["Tus-Version"] == "1.0.0"
    assert set(response.headers["Tus-Extension"].split(",")) == {
        "creation", "termination", "expiration",
    }  # fmt: skip
    assert int(response.headers["Tus-Max-Size"]) == UploadLimits().max_request_bytes


def test_files_sent_in_pieces_become_one_stored_upload_that_is_checked(
    client: TestClient, api: UploadsApi, inspector: FakeInspector
) -> None:
    upload = _begin(client)
    first, second = os.urandom(3 * MB + 17), b"a report\n" * 50
    one = _location(_create(client, upload, len(first)))
    two = _location(_create(client, upload, len(second), path="report.txt"))
    assert _head(client, one).headers["Upload-Offset"] == "0"
    for start in range(0, len(first), MB):
        response = _patch(client, one, start, first[start : start + MB])
        assert response.status_code == 204, response.text
        assert int(response.headers["Upload-Offset"]) == min(start + MB, len(first))
        assert "Upload-Expires" in response.headers
    head = _head(client, one)
    assert (head.headers["Upload-Offset"], head.headers["Upload-Length"]) == (
        str(len(first)), str(len(first)),
    )  # fmt: skip
    assert head.headers["Cache-Control"] == "no-store"
    unfinished = _complete(client, upload)
    assert (unfinished.status_code, unfinished.json()["error"]) == (409, "unfinished")
    assert _patch(client, two, 0, second).status_code == 204

    done = _complete(client, upload)
    assert done.status_code == 201, done.text
    summary = done.json()["uploads"][0]
    assert (summary["id"], summary["files"], summary["bytes"]) == (
        upload, 2, len(first) + len(second),
    )  # fmt: skip
    wait_for(lambda: upload_rows(api.service.sessions)[0][1] == "checked")
    assert inspector.calls == [["CD/DICOM/IM0001", "report.txt"]]
    details = client.get(f"/api/uploads/{upload}", headers=bearer("conv-a")).json()
    assert details["paths"] == ["CD/DICOM/IM0001", "report.txt"]
    stored = api.service.get("conv-a", upload)
    assert stored is not None
    assert [f.sha256 for f in stored.files] == [
        hashlib.sha256(first).hexdigest(), hashlib.sha256(second).hexdigest(),
    ]  # fmt: skip
    with open_encrypted(
        api.settings.uploads_dir / _stored_name(api, upload) / stored.files[0].stored_name,
        api.settings.storage_key,
    ) as stream:
        assert stream.read() == first
    assert not [p for p in stored_entries(api.settings) if p.name.endswith(".tail")]


def _stored_name(api: UploadsApi, upload: str) -> str:
    from sqlalchemy import select

    from bot.cases.models import Upload

    with api.service.sessions() as session:
        return str(session.scalar(select(Upload.stored_name).where(Upload.public_id == upload)))


def test_a_wrong_offset_is_409_with_the_real_offset_and_changes_nothing(
    client: TestClient,
) -> None:
    upload = _begin(client)
    url = _location(_create(client, upload, 100))
    assert _patch(client, url, 0, b"x" * 40).status_code == 204
    for wrong in (0, 39, 41, 100):
        response = _patch(client, url, wrong, b"y" * 10)
        assert response.status_code == 409
        assert response.headers["Upload-Offset"] == "40"
    assert _head(client, url).headers["Upload-Offset"] == "40"


def test_more_bytes_than_the_length_are_refused(client: TestClient) -> None:
    upload = _begin(client)
    url = _location(_create(client, upload, 10))
    assert _patch(client, url, 0, b"x" * 11).status_code == 413
    assert _head(client, url).headers["Upload-Offset"] == "0"


def test_protocol_rules(client: TestClient) -> None:
    upload = _begin(client)
    url = _location(_create(client, upload, 10))
    no_version = client.patch(url, headers={**OCTETS, **bearer("conv-a"), "Upload-Offset": "0"},
                              content=b"x")  # fmt: skip
    assert (no_version.status_code, no_version.headers["Tus-Version"]) == (412, "1.0.0")
    wrong_type = client.patch(
        url, headers={**TUS, **bearer("conv-a"), "Upload-Offset": "0",
                      "Content-Type": "application/octet-stream"}, content=b"x",
    )  # fmt: skip
    assert wrong_type.status_code == 415
    no_offset = client.patch(url, headers={**TUS, **OCTETS, **bearer("conv-a")}, content=b"x")
    assert no_offset.status_code == 400
    no_length = client.post("/api/tus", headers={**TUS, **bearer("conv-a"),
                            "Upload-Metadata": _metadata(upload=upload)})  # fmt: skip
    assert no_length.status_code == 400
    bad_metadata = client.post(
        "/api/tus",
        headers={**TUS, **bearer("conv-a"), "Upload-Length": "5", "Upload-Metadata": "upload !!"},
    )
    assert bad_metadata.status_code == 400


def test_termination_removes_the_file_and_frees_its_place(
    client: TestClient, api: UploadsApi
) -> None:
    upload = _begin(client)
    url = _location(_create(client, upload, 4 * MB))
    assert _patch(client, url, 0, os.urandom(MB + 5)).status_code == 204
    assert any(p.name.endswith(".sre") for p in stored_entries(api.settings))
    deleted = client.delete(url, headers={**TUS, **bearer("conv-a")})
    assert deleted.status_code == 204
    assert _head(client, url).status_code == 404
    assert not [p for p in stored_entries(api.settings) if p.is_file()]
    assert _complete(client, upload).json()["error"] == "no_files"


def test_another_conversations_file_answers_like_an_unknown_one(client: TestClient) -> None:
    upload = _begin(client, "conv-a")
    url = _location(_create(client, upload, 10))
    unknown = _head(client, "/api/tus/rf_unknown", "conv-b")
    other = _head(client, url, "conv-b")
    assert other.status_code == unknown.status_code == 404
    assert _patch(client, url, 0, b"x", "conv-b").status_code == 404
    assert client.delete(url, headers={**TUS, **bearer("conv-b")}).status_code == 404
    assert _create(client, upload, 5, conversation="conv-b").status_code == 404
    assert _complete(client, upload, "conv-b").status_code == 404
    assert client.head(url, headers=TUS).status_code == 401
    assert _head(client, url).status_code == 200  # still there for its own conversation


def test_an_expired_file_is_gone_and_swept(client: TestClient, api: UploadsApi) -> None:
    upload = _begin(client)
    url = _location(_create(client, upload, 10))
    assert _patch(client, url, 0, b"12345").status_code == 204
    later = resumable.utc_now() + resumable.EXPIRES_AFTER + timedelta(minutes=1)
    api.service._clock = lambda: later  # the sweep's clock
    from bot.web import tus_api

    original = tus_api.utc_now
    tus_api.utc_now = lambda: later  # type: ignore[assignment]
    try:
        assert _head(client, url).status_code == 410
        assert _patch(client, url, 5, b"67890").status_code == 410
    finally:
        tus_api.utc_now = original
    assert api.service.sweep_receiving(timedelta(hours=24)) == 1
    assert upload_rows(api.service.sessions) == []
    assert not [p for p in stored_entries(api.settings) if p.is_file()]


def test_an_active_resumable_upload_is_not_swept(client: TestClient, api: UploadsApi) -> None:
    upload = _begin(client)
    _location(_create(client, upload, 10))
    assert api.service.sweep_receiving(timedelta(0)) == 0
    assert [row[0] for row in upload_rows(api.service.sessions)] == [upload]


def test_a_patch_moves_the_expiry_on_but_writes_it_at_most_every_half_hour(
    client: TestClient, api: UploadsApi,
) -> None:
    """The expiry is 24 h after the last PATCH; storing it on every 8 MiB piece would cost a
    database commit each, so it is stored once it has moved on by TOUCH_EVERY."""
    upload = _begin(client)
    file_id = _location(_create(client, upload, 10)).rsplit("/", 1)[-1]
    now = [resumable.utc_now()]
    files = resumable.ResumableUploads(
        api.service.sessions, api.settings, api.service, clock=lambda: now[0])
    created = files.file("conv-a", file_id)
    assert created is not None
    now[0] += resumable.TOUCH_EVERY - timedelta(minutes=1)
    assert not files.touch_due(created)
    assert files.touch(created) == created.expires_at
    now[0] += timedelta(minutes=2)
    assert files.touch_due(created)
    moved = files.touch(created)
    assert moved == now[0] + resumable.EXPIRES_AFTER
    stored = files.file("conv-a", file_id)
    assert stored is not None and stored.expires_at == moved


def _limited(api: UploadsApi, **limits: int) -> TestClient:
    settings = replace(api.settings, upload_limits=UploadLimits(**limits))
    service = UploadService(api.service.sessions, settings)
    return TestClient(make_app(UploadsApi(settings, service, inspect=FakeInspector())))


def test_declared_lengths_are_reserved_against_the_conversation_quota(api: UploadsApi) -> None:
    with _limited(api, max_conversation_bytes=1000, max_files_per_study=3) as client:
        upload = _begin(client)
        _location(_create(client, upload, 600))
        over = _create(client, upload, 401)
        assert over.status_code == 413
        assert over.headers["X-Upload-Error"] == "conversation_quota_exceeded"
        _location(_create(client, upload, 400))
        # Another upload of the same conversation sees the reservation too, multipart included.
        multipart = client.post("/api/uploads", headers=bearer("conv-a"),
                                files=[("file", ("a.txt", b"x", "text/plain"))])  # fmt: skip
        assert multipart.status_code == 413
        other = _begin(client, "conv-b")
        assert _create(client, other, 1000, conversation="conv-b").status_code == 201


def test_files_per_study_and_request_size_limits(api: UploadsApi) -> None:
    with _limited(api, max_files_per_study=2, max_request_bytes=100) as client:
        upload = _begin(client)
        assert _create(client, upload, 101).status_code == 413
        _location(_create(client, upload, 1))
        _location(_create(client, upload, 1))
        assert _create(client, upload, 1).headers["X-Upload-Error"] == "too_many_files"


def test_a_connection_cut_mid_patch_keeps_what_arrived_and_resumes(
    api: UploadsApi, inspector: FakeInspector
) -> None:
    data = os.urandom(6 * MB + 321)
    with running_server(make_app(api)) as base, httpx.Client(base_url=base) as http:
        client = cast(TestClient, http)  # the helpers take either
        upload = _begin(client)
        url = _location(_create(client, upload, len(data)))
        host, port = urlsplit(base).hostname, urlsplit(base).port
        sent = 3 * MB + 1000
        with socket.create_connection((host, port)) as raw:
            head = (
                f"PATCH {url} HTTP/1.1\r\nHost: {host}\r\nTus-Resumable: 1.0.0\r\n"
                f"Authorization: {bearer('conv-a')['Authorization']}\r\n"
                "Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\n"
                f"Content-Length: {len(data)}\r\n\r\n"
            )
            raw.sendall(head.encode() + data[:sent])
            # While that PATCH still waits for its body, a second one is refused (clients retry).
            wait_for(lambda: any(
                p.suffix == ".sre" and p.stat().st_size > MB for p in stored_entries(api.settings)
            ))  # fmt: skip
            assert _patch(client, url, 0, b"x").status_code == 423
        # The server keeps every byte it received (the socket closed after them).
        def offset() -> str:
            response = _head(client, url)
            return str(response.headers.get("Upload-Offset"))

        wait_for(lambda: offset() == str(sent), timeout=15)
        assert _patch(client, url, sent, data[sent:]).status_code == 204
        assert _complete(client, upload).status_code == 201
        wait_for(lambda: len(inspector.calls) == 1)
    stored = api.service.get("conv-a", upload)
    assert stored is not None and stored.files[0].sha256 == hashlib.sha256(data).hexdigest()


def test_the_running_app_sweeps_expired_uploads_without_a_restart(api: UploadsApi) -> None:
    api.worker._sweep_every = 0.05
    with TestClient(make_app(api)) as client:
        upload = _begin(client)
        url = _location(_create(client, upload, 10))
        assert _patch(client, url, 0, b"12345").status_code == 204
        later = resumable.utc_now() + resumable.EXPIRES_AFTER + timedelta(minutes=1)
        api.service._clock = lambda: later
        wait_for(lambda: upload_rows(api.service.sessions) == [])
    assert not [p for p in stored_entries(api.settings) if p.is_file()]
