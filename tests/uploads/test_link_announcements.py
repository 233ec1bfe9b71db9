"""Uploads from an upload page (a "link" token) are announced in the chat when checked; uploads
that the widget or a bridge announce with a chat message are not announced twice."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi.testclient import TestClient

from bot.notify.rasa import RasaNotifier
from bot.notify.uploads import link_upload_announcer
from bot.uploads.records import UploadRecord
from bot.uploads.service import UploadService
from bot.web.uploads_api import UploadsApi
from tests.uploads.conftest import (
    FakeInspector,
    bearer,
    make_app,
    wait_for,
)


class FakeRasa:
    """Records trigger_intent calls and answers with one bot message."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def client(self) -> httpx.AsyncClient:
        def handle(request: httpx.Request) -> httpx.Response:
            self.calls.append((request.url.path, json.loads(request.content)))
            return httpx.Response(200, json={"messages": [{"text": "I found 1 study."}]})

        return httpx.AsyncClient(transport=httpx.MockTransport(handle))


def run_upload(
    upload_service: UploadService,
    api: UploadsApi,
    conversation_id: str,
    scope: str,
    rasa: FakeRasa,
    delivered: list[tuple[str, list[Mapping[str, Any]]]],
) -> str:
    async def deliver(sender_id: str, messages: Sequence[Mapping[str, Any]]) -> None:
        delivered.append((sender_id, list(messages)))

    announce = link_upload_announcer(
        RasaNotifier("http://rasa.test", "api-token", client=rasa.client()), deliver
    )
    wired = UploadsApi(api.settings, upload_service, inspect=FakeInspector(), on_checked=announce)
    with TestClient(make_app(wired)) as client:
        response = client.post(
            "/api/uploads",
            files=[("file", ("IM0001", b"x" * 100, "application/octet-stream"))],
            headers=bearer(conversation_id, scope),
        )
        assert response.status_code == 201, response.text
        public_id = str(response.json()["uploads"][0]["id"])

        def checked() -> bool:
            (record,) = upload_service.statuses(conversation_id, [public_id])
            return record.status == "checked"

        wait_for(checked)
        announced = scope == "link" or conversation_id.startswith("telegram:")
        wait_for(lambda: not announced or bool(rasa.calls))
    return public_id


def test_an_upload_page_upload_wakes_the_conversation(
    upload_service: UploadService, api: UploadsApi
) -> None:
    rasa, delivered = FakeRasa(), []  # type: ignore[var-annotated]
    public_id = run_upload(upload_service, api, "rest-conv", "link", rasa, delivered)
    (record,) = upload_service.statuses("rest-conv", [public_id])
    assert record.via_link is True
    assert rasa.calls == [
        (
            "/conversations/rest-conv/trigger_intent",
            {"name": "EXTERNAL_uploads_checked", "entities": {"upload_ids": public_id}},
        )
    ]
    assert delivered == []  # Rasa answers REST and socket.io conversations itself


def test_a_telegram_link_upload_is_delivered_through_telegram(
    upload_service: UploadService, api: UploadsApi
) -> None:
    rasa, delivered = FakeRasa(), []  # type: ignore[var-annotated]
    run_upload(upload_service, api, "telegram:42", "link", rasa, delivered)
    wait_for(lambda: bool(delivered))
    assert delivered == [("telegram:42", [{"text": "I found 1 study."}])]


def test_widget_and_bridge_uploads_are_not_announced_twice(
    upload_service: UploadService, api: UploadsApi
) -> None:
    for scope in ("conversation", "upload"):
        rasa, delivered = FakeRasa(), []  # type: ignore[var-annotated]
        public_id = run_upload(upload_service, api, f"conv-{scope}", scope, rasa, delivered)
        (record,) = upload_service.statuses(f"conv-{scope}", [public_id])
        assert record.via_link is False
        assert rasa.calls == []
        assert delivered == []


async def test_the_announcer_ignores_records_not_from_a_link() -> None:
    rasa = FakeRasa()
    announce = link_upload_announcer(
        RasaNotifier("http://rasa.test", "t", client=rasa.client()), None
    )
    record = UploadRecord(
        "up_a", "c1", "checked", 1, 10, {}, datetime.now(UTC), None, None
    )
    await announce(record)
    assert rasa.calls == []


def test_telegram_bridge_uploads_are_announced_for_slow_checks(
    upload_service: UploadService, api: UploadsApi
) -> None:
    rasa, delivered = FakeRasa(), []  # type: ignore[var-annotated]
    run_upload(upload_service, api, "telegram:7", "upload", rasa, delivered)
    wait_for(lambda: bool(delivered))
    assert [path for path, _ in rasa.calls] == ["/conversations/telegram:7/trigger_intent"]
    assert delivered == [("telegram:7", [{"text": "I found 1 study."}])]
