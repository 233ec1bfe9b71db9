"""The upload API under a real uvicorn: streamed bodies, refusals before reading, and a client
that goes away mid-upload."""

from __future__ import annotations

import hashlib
import json
import os
import socket
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest

from bot.config import Settings, UploadLimits
from bot.uploads.service import UploadService
from bot.web.uploads_api import UploadsApi
from tests.uploads.conftest import (
    MB,
    FakeInspector,
    make_app,
    running_server,
    stored_entries,
    token_for,
    upload_rows,
    wait_for,
)

BOUNDARY = b"streamingboundary"


def _part_header(name: str) -> bytes:
    return (
        b"--" + BOUNDARY + b"\r\n"
        b'Content-Disposition: form-data; name="file"; filename="' + name.encode() + b'"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n"
    )


def _request_head(port_url: str, token: str, length: int | None) -> bytes:
    host = port_url.removeprefix("http://")
    lines = [
        "POST /api/uploads HTTP/1.1",
        f"Host: {host}",
        f"Authorization: Bearer {token}",
        f"Content-Type: multipart/form-data; boundary={BOUNDARY.decode()}",
    ]
    lines.append(
        f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    )
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str]]:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, rest = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    headers = dict(line.lower().split(b": ", 1) for line in head.split(b"\r\n")[1:])
    length = int(headers[b"content-length"])
    while len(rest) < length:
        rest += sock.recv(65536)
    return status, json.loads(rest[:length])


def test_a_streamed_upload_end_to_end(api: UploadsApi, settings: Settings) -> None:
    digest = hashlib.sha256()
    size = 24 * MB + 123

    def body() -> Iterator[bytes]:
        yield _part_header("CD/DICOM/IM0001")
        remaining = size
        while remaining:
            piece = os.urandom(min(remaining, 256 * 1024))
            digest.update(piece)
            remaining -= len(piece)
            yield piece
        yield b"\r\n--" + BOUNDARY + b"--\r\n"

    with running_server(make_app(api)) as url:
        response = httpx.post(
            f"{url}/api/uploads",
            content=body(),
            headers={
                "Authorization": f"Bearer {token_for('conv-a')}",
                "Content-Type": f"multipart/form-data; boundary={BOUNDARY.decode()}",
            },
            timeout=60,
        )
        assert response.status_code == 201, response.text
        [upload] = response.json()["uploads"]
        assert upload["bytes"] == size
        wait_for(lambda: api.service.statuses("conv-a", [upload["id"]])[0].status == "checked")
    details = api.service.get("conv-a", upload["id"])
    assert details is not None and details.files[0].sha256 == digest.hexdigest()
    record = details.record
    assert record.verdict is not None
    assert record.verdict["sha256"] == {"CD/DICOM/IM0001": digest.hexdigest()}


def test_interrupted_upload_leaves_nothing_counted_and_no_files(
    api: UploadsApi, settings: Settings
) -> None:
    with running_server(make_app(api)) as url, _connect(url) as sock:
        sock.sendall(_request_head(url, token_for("conv-a"), 50 * MB))
        sock.sendall(_part_header("first.dcm") + b"a" * 1000 + b"\r\n")
        sock.sendall(_part_header("second.dcm"))
        for _ in range(12):
            sock.sendall(os.urandom(256 * 1024))
        # The upload is underway: a row in `receiving` and files on disk.
        wait_for(lambda: [row[1] for row in upload_rows(api.service._sessions)] == ["receiving"])
        wait_for(lambda: len([p for p in stored_entries(settings) if p.is_file()]) == 2)
        sock.close()  # the patient closed the tab

        wait_for(lambda: upload_rows(api.service._sessions) == [])
        wait_for(lambda: stored_entries(settings) == [])
        assert api.service.for_conversation("conv-a") == []
        assert api.service.stored_bytes("conv-a") == 0


def test_too_large_by_header_is_answered_before_any_body_is_sent(
    api: UploadsApi, settings: Settings
) -> None:
    with running_server(make_app(api)) as url, _connect(url) as sock:
        sock.sendall(
            _request_head(url, token_for("conv-a"), settings.upload_limits.max_request_bytes + 1)
        )
        status, body = _read_response(sock)
    assert status == 413 and body["error"] == "request_too_large"
    assert "2 GB" in body["message"]
    assert upload_rows(api.service._sessions) == []


def test_conversation_limit_by_header_is_answered_before_any_body_is_sent(
    api: UploadsApi, settings: Settings
) -> None:
    limited = replace(settings, upload_limits=UploadLimits(max_conversation_bytes=10 * MB))
    service = UploadService(api.service._sessions, limited)
    app = make_app(UploadsApi(limited, service, inspect=FakeInspector()))
    with running_server(app) as url, _connect(url) as sock:
        sock.sendall(_request_head(url, token_for("conv-a"), 11 * MB))
        status, body = _read_response(sock)
    assert status == 413 and body["error"] == "conversation_quota_exceeded"


def test_too_large_while_streaming_without_content_length(
    api: UploadsApi, settings: Settings
) -> None:
    limited = replace(settings, upload_limits=UploadLimits(max_request_bytes=4 * MB))
    service = UploadService(api.service._sessions, limited)
    app = make_app(UploadsApi(limited, service, inspect=FakeInspector()))

    def body() -> Iterator[bytes]:
        yield _part_header("big.dcm")
        for _ in range(40):
            yield b"z" * (256 * 1024)
        yield b"\r\n--" + BOUNDARY + b"--\r\n"

    with running_server(app) as url:
        response = httpx.post(
            f"{url}/api/uploads",
            content=body(),
            headers={
                "Authorization": f"Bearer {token_for('conv-a')}",
                "Content-Type": f"multipart/form-data; boundary={BOUNDARY.decode()}",
            },
            timeout=60,
        )
    assert response.status_code == 413
    assert response.json()["error"] == "request_too_large"
    assert upload_rows(service._sessions) == []
    assert stored_entries(settings) == []


@pytest.mark.parametrize("token", ["", "garbage"])
def test_unauthorized_is_answered_before_any_body_is_sent(api: UploadsApi, token: str) -> None:
    with running_server(make_app(api)) as url, _connect(url) as sock:
        sock.sendall(_request_head(url, token, 10 * MB))
        status, body = _read_response(sock)
    assert status == 401 and body["error"] == "unauthorized"
