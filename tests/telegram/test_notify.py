"""bot.notify.telegram: messages to a Telegram conversation from another process."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from aiohttp import web

from bot.config import Settings, TelegramSettings
from bot.notify.telegram import send_telegram_text, send_to_telegram
from bot.telegram.app import running
from tests.integration.stack import free_port
from tests.telegram.fake_api import FakeTelegram
from tests.telegram.fake_backend import FakeBackend
from tests.telegram.test_bridge import FAST


async def test_rasa_messages_reach_the_chat_and_their_buttons_work_in_the_bridge(
    telegram: FakeTelegram, backend: FakeBackend, settings: Settings
) -> None:
    verdict = [
        {"recipient_id": "telegram:31", "text": "I found 1 CT study <complete>."},
        {
            "recipient_id": "telegram:31",
            "text": "What next?",
            "buttons": [{"title": "Open a case", "payload": "/open_case"}],
        },
    ]
    await send_to_telegram("telegram:31", verdict, settings)
    first, second = telegram.sent(31)
    assert first["text"] == "I found 1 CT study &lt;complete&gt;."
    data = second["reply_markup"]["inline_keyboard"][0][0]["callback_data"]

    async with running(settings, FAST):  # the bridge knows the notifier's button ids
        telegram.push(telegram.button_press(31, second["message_id"], data))
        await telegram.wait_for_sent(31, 3)
    assert backend.messages() == ["/open_case"]


async def test_a_proactive_text(telegram: FakeTelegram, settings: Settings) -> None:
    await send_telegram_text("telegram:32", "Your case [SR-1](https://x.test/c) moved.", settings)
    (message,) = telegram.sent(32)
    assert message["text"] == 'Your case <a href="https://x.test/c">SR-1</a> moved.'


async def test_other_channels_are_refused_and_no_token_sends_nothing(
    telegram: FakeTelegram, settings: Settings
) -> None:
    with pytest.raises(ValueError):
        await send_telegram_text("web:abc", "hi", settings)
    await send_telegram_text("telegram:33", "hi", replace(settings, telegram=TelegramSettings()))
    assert telegram.calls == []


async def test_an_unreachable_telegram_does_not_raise_and_says_so_in_the_log(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    gone = replace(settings, telegram=replace(settings.telegram, api_url="http://127.0.0.1:9"))
    with caplog.at_level(logging.WARNING, logger="bot.notify.telegram"):
        await send_telegram_text("telegram:34", "Dear Jane, your MRI", gone)
    (record,) = [r for r in caplog.records if r.name == "bot.notify.telegram"]
    assert "not sent" in record.getMessage()
    assert "Jane" not in caplog.text  # what was to be sent never reaches the log


@pytest.fixture
async def pdf_server() -> AsyncIterator[str]:
    """Serves /ok.pdf (a PDF) and /gone.pdf (401, as an expired letter link answers)."""

    async def ok(_request: web.Request) -> web.Response:
        return web.Response(body=b"%PDF-1.4 letter", content_type="application/pdf")

    async def gone(_request: web.Request) -> web.Response:
        return web.Response(status=401, text="This link has expired or is not valid.")

    app = web.Application()
    app.router.add_get("/ok.pdf", ok)
    app.router.add_get("/gone.pdf", gone)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def test_a_letter_attachment_arrives_as_a_document(
    telegram: FakeTelegram, settings: Settings, pdf_server: str
) -> None:
    letter = {"recipient_id": "telegram:35", "text": "Your letter (PDF):",
              "attachment": f"{pdf_server}/ok.pdf"}
    await send_to_telegram("telegram:35", [letter], settings)
    (call,) = telegram.called("sendDocument", 35)
    assert call.params["caption"] == "Your letter (PDF):"
    assert telegram.fetched_documents == [b"%PDF-1.4 letter"]
    (message,) = telegram.sent(35)
    assert message["document"]["mime_type"] == "application/pdf"


async def test_a_document_telegram_cannot_fetch_comes_as_its_link(
    telegram: FakeTelegram, settings: Settings, pdf_server: str
) -> None:
    letter = {"recipient_id": "telegram:36", "text": "Your letter (PDF):",
              "attachment": f"{pdf_server}/gone.pdf"}
    await send_to_telegram("telegram:36", [letter], settings)
    (message,) = telegram.sent(36)
    assert message["text"] == f"Your letter (PDF):\n{pdf_server}/gone.pdf"
