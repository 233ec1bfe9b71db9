"""Rasa REST client retries and the upload client, against httpx mock transports."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import Callable

import httpx
import pytest

from bot.security.tokens import verify_token
from bot.telegram.rasa_client import RasaClient, RasaUnavailable, ShuttingDown
from bot.telegram.uploads import (
    FilePart,
    UploadClient,
    UploadRejected,
    UploadUnavailable,
    upload_link,
)

KEY = "an-upload-signing-key-of-32-bytes!"
Handler = Callable[[httpx.Request], httpx.Response]


def scripted(*steps: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(steps)

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        step = queue.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    return handle, seen


def rasa(handler: Handler, deadline: float = 10) -> RasaClient:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return RasaClient(
        "http://rasa.test/", KEY, client, deadline, first_backoff=0.01, max_backoff=0.05
    )


async def test_rasa_gets_sender_text_and_metadata() -> None:
    handler, seen = scripted(httpx.Response(200, json=[{"text": "hi"}, "junk"]))
    replies = await rasa(handler).send("telegram:1", "hello", {"channel": "telegram"})
    assert replies == [{"text": "hi"}]
    assert seen[0].url == "http://rasa.test/webhooks/rest/webhook"
    assert json.loads(seen[0].content) == {
        "sender": "telegram:1",
        "message": "hello",
        "metadata": {"channel": "telegram"},
    }


async def test_each_attempt_proves_the_conversation_with_a_fresh_short_token() -> None:
    """Rasa's REST channel (bot.channels.rest) only takes a message with a conversation token."""
    handler, seen = scripted(httpx.ConnectError("refused"), httpx.Response(200, json=[]))
    await rasa(handler).send("telegram:abc", "x", {})
    tokens = [request.headers["Authorization"] for request in seen]
    assert all(t.startswith("Bearer ") for t in tokens) and tokens[0] != tokens[1]
    for token in tokens:
        claims = verify_token(KEY, token, ("conversation",))
        assert claims.conversation_id == "telegram:abc"
        assert claims.expires_at - time.time() <= 300


async def test_a_refused_token_is_not_retried() -> None:
    handler, seen = scripted(httpx.Response(401, json={"message": "token"}))
    with pytest.raises(RasaUnavailable):
        await rasa(handler).send("telegram:1", "x", {})
    assert len(seen) == 1


async def test_connection_failures_and_proxy_errors_are_retried() -> None:
    handler, seen = scripted(
        httpx.ConnectError("refused"),
        httpx.RemoteProtocolError("dropped"),
        httpx.Response(503),
        httpx.Response(200, json=[{"text": "back"}]),
    )
    assert await rasa(handler).send("telegram:1", "x", {}) == [{"text": "back"}]
    assert len(seen) == 4


@pytest.mark.parametrize(
    "failure", [httpx.ReadTimeout("slow"), httpx.Response(500), httpx.Response(400)]
)
async def test_failures_rasa_may_have_processed_are_not_retried(
    failure: httpx.Response | Exception,
) -> None:
    handler, seen = scripted(failure)
    with pytest.raises(RasaUnavailable):
        await rasa(handler).send("telegram:1", "x", {})
    assert len(seen) == 1


async def test_retries_stop_at_the_deadline() -> None:
    handler, seen = scripted(*[httpx.ConnectError("refused")] * 100)
    with pytest.raises(RasaUnavailable):
        await rasa(handler, deadline=0.2).send("telegram:1", "x", {})
    assert 2 < len(seen) < 100


async def test_stopping_wakes_a_waiting_retry() -> None:
    handler, _ = scripted(*[httpx.ConnectError("refused")] * 1000)
    client = RasaClient(
        "http://rasa.test",
        KEY,
        httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        deadline_seconds=600,
        first_backoff=30,
    )
    task = asyncio.create_task(client.send("telegram:1", "x", {}))
    await asyncio.sleep(0.05)
    client.stop_retrying()
    with pytest.raises(ShuttingDown):
        await asyncio.wait_for(task, 2)


def uploads(handler: Handler) -> UploadClient:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return UploadClient("http://web.test/", KEY, client, backoff_seconds=0.01)


def part() -> FilePart:
    return FilePart("scan.dcm", io.BytesIO(b"DICM-data"), "application/dicom")


async def test_upload_sends_the_file_with_an_upload_token_for_the_conversation() -> None:
    body = {"uploads": [{"id": "up_a", "files": 1, "bytes": 9, "status": "pending"}]}
    handler, seen = scripted(httpx.Response(201, json=body))
    assert await uploads(handler).upload("telegram:7", [part()]) == ["up_a"]
    (request,) = seen
    assert request.url == "http://web.test/api/uploads"
    claims = verify_token(KEY, request.headers["Authorization"], ("upload",))
    assert claims.conversation_id == "telegram:7"
    assert b'name="file"; filename="scan.dcm"' in request.content
    assert b"DICM-data" in request.content


async def test_upload_errors_carry_the_patient_message_and_outages_are_retried() -> None:
    handler, _ = scripted(httpx.Response(413, json={"message": "Too big for one upload."}))
    with pytest.raises(UploadRejected) as refused:
        await uploads(handler).upload("telegram:7", [part()])
    assert (refused.value.status, refused.value.message) == (413, "Too big for one upload.")

    body = {"uploads": [{"id": "up_b"}]}
    handler, seen = scripted(
        httpx.ConnectError("down"), httpx.Response(502), httpx.Response(201, json=body)
    )
    assert await uploads(handler).upload("telegram:7", [part()]) == ["up_b"]
    assert [b"DICM-data" in r.content for r in seen] == [True, True, True]  # re-sent whole

    handler, _ = scripted(*[httpx.ConnectError("down")] * 3)
    with pytest.raises(UploadUnavailable):
        await uploads(handler).upload("telegram:7", [part()])


def test_upload_link_is_bound_to_the_conversation_and_expires() -> None:
    link = upload_link("https://clinic.test/", KEY, "telegram:9")
    assert link.startswith("https://clinic.test/upload?token=")
    claims = verify_token(KEY, link.split("token=")[1], ("link",))
    assert claims.conversation_id == "telegram:9" and claims.scope == "link"
