"""RasaNotifier against a recording fake of Rasa's trigger_intent endpoint."""

from __future__ import annotations

import json

import httpx

from bot.notify.rasa import UPLOADS_CHECKED, RasaNotifier


def recording_client(
    responses: list[httpx.Response], seen: list[httpx.Request]
) -> httpx.AsyncClient:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return responses.pop(0)

    return httpx.AsyncClient(transport=httpx.MockTransport(handle))


async def test_triggers_the_uploads_checked_intent_with_the_ids() -> None:
    seen: list[httpx.Request] = []
    reply = {"messages": [{"recipient_id": "c/1", "text": "I found 1 study."}]}
    client = recording_client([httpx.Response(200, json=reply)], seen)
    notifier = RasaNotifier("http://rasa.test/", "secret", client=client)

    messages = await notifier.uploads_checked("c/1", ["up_a", "up_b"])

    assert messages == reply["messages"]
    (request,) = seen
    assert request.url.raw_path.split(b"?")[0] == b"/conversations/c%2F1/trigger_intent"
    assert request.url.params["token"] == "secret"
    assert request.url.params["output_channel"] == "latest"
    assert json.loads(request.content) == {
        "name": UPLOADS_CHECKED,
        "entities": {"upload_ids": "up_a,up_b"},
    }


async def test_retries_then_gives_up_without_raising() -> None:
    seen: list[httpx.Request] = []
    client = recording_client([httpx.Response(503), httpx.Response(500), httpx.Response(502)], seen)
    notifier = RasaNotifier("http://rasa.test", "secret", client=client, backoff_seconds=0)
    assert await notifier.uploads_checked("c1", ["up_a"]) == []
    assert len(seen) == 3


async def test_a_later_attempt_can_succeed() -> None:
    seen: list[httpx.Request] = []
    client = recording_client(
        [httpx.Response(503), httpx.Response(200, json={"messages": []})], seen
    )
    notifier = RasaNotifier("http://rasa.test", "secret", client=client, backoff_seconds=0)
    assert await notifier.uploads_checked("c1", ["up_a"]) == []
    assert len(seen) == 2


async def test_offline_without_a_token() -> None:
    seen: list[httpx.Request] = []
    client = recording_client([], seen)
    notifier = RasaNotifier("http://rasa.test", None, client=client)
    assert not notifier.online
    assert await notifier.uploads_checked("c1", ["up_a"]) == []
    assert seen == []


async def test_a_telegram_conversation_id_keeps_its_colon() -> None:
    """Rasa does not unquote path parameters: "telegram%3A42" would be another conversation."""
    seen: list[httpx.Request] = []
    client = recording_client([httpx.Response(200, json={"messages": []})], seen)
    await RasaNotifier("http://rasa.test", "t", client=client).uploads_checked("telegram:42", ["u"])
    assert seen[0].url.raw_path.split(b"?")[0] == b"/conversations/telegram:42/trigger_intent"
