"""The bridge between the fake Bot API and the real Rasa server, action server and web app."""

from __future__ import annotations

import asyncio
import html
import json
import secrets
import subprocess
import sys
import zipfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import yaml

from bot.config import Settings, TelegramSettings
from bot.notify.telegram.ids import keyed_conversation_id
from bot.security.tokens import issue_token
from bot.telegram.app import Tuning, running
from tests.integration.stack import ROOT, Stack, another_rasa, free_port, stop
from tests.telegram.fake_api import TOKEN, FakeTelegram
from tests.telegram.tcp_proxy import TcpProxy
from tests.uploads import pages

pytestmark = pytest.mark.integration

TUNING = Tuning(poll_timeout_seconds=1, notice_after_seconds=3, rasa_deadline_seconds=300)
GREETING = "can't look at images or give a diagnosis"


@pytest.fixture
def chat() -> int:
    # A fresh conversation per test: the stack's database is shared by the whole session.
    return 10_000_000 + secrets.randbelow(10_000_000)


def bridge_settings(stack: Stack, fake: FakeTelegram, var_dir: Path, **changes: Any) -> Settings:
    settings = Settings(
        var_dir=var_dir,
        rasa_url=stack.rasa_url,
        web_port=int(stack.web_url.rsplit(":", 1)[1]),
        secret_key=stack.secret_key,
        public_url=stack.web_url,
        rasa_api_token=stack.token,
        telegram=TelegramSettings(bot_token=TOKEN, api_url=fake.api_url),
    )
    return replace(settings, **changes)


def conversation(stack: Stack, chat: int) -> str:
    """The chat's conversation id in Rasa: keyed with the secret, not `telegram:<chat id>`."""
    return keyed_conversation_id(chat, stack.secret_key)


@asynccontextmanager
async def bridge(settings: Settings, tuning: Tuning = TUNING) -> AsyncIterator[None]:
    async with running(settings, tuning):
        yield


def texts(telegram: FakeTelegram, chat: int) -> list[str]:
    return telegram.shown(chat)


def keyboard(message: dict[str, Any]) -> dict[str, str]:
    """Button title → callback data."""
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return {row[0]["text"]: row[0].get("callback_data", "") for row in rows}


async def press(telegram: FakeTelegram, chat: int, message: dict[str, Any], title: str) -> None:
    telegram.push(telegram.button_press(chat, message["message_id"], keyboard(message)[title]))


async def next_messages(
    telegram: FakeTelegram,
    chat: int,
    before: int,
    until: Callable[[list[str]], bool],
    timeout: float = 60,
) -> list[dict[str, Any]]:
    """Messages sent after the first `before`, once `until(their texts)` holds."""

    def done() -> bool:
        return until([html.unescape(t) for t in telegram.texts(chat)[before:]])

    await telegram.wait_until(done, timeout, "the bot's reply")
    return telegram.sent(chat)[before:]


def ends_with(text: str) -> Callable[[list[str]], bool]:
    return lambda new: bool(new) and new[-1] == text


async def test_a_journey_by_text_and_inline_buttons(
    stack: Stack, telegram: FakeTelegram, tmp_path: Path, chat: int
) -> None:
    async with bridge(bridge_settings(stack, telegram, tmp_path)):
        telegram.push(telegram.text(chat, "/start"))
        new = await next_messages(telegram, chat, 0, ends_with("What would you like help with?"))
        assert GREETING in html.unescape(new[0]["text"])
        menu = new[-1]
        assert "Is a second read worth it for me?" in keyboard(menu)
        assert all(len(d.encode()) <= 64 for d in keyboard(menu).values())

        count = len(telegram.sent(chat))
        await press(telegram, chat, menu, "Is a second read worth it for me?")
        (question,) = await next_messages(
            telegram, chat, count, ends_with("What kind of exam was it?")
        )
        edits = telegram.called("editMessageReplyMarkup", chat)
        assert edits[-1].params["reply_markup"]["inline_keyboard"][0][0]["text"] == (
            "✓ Is a second read worth it for me?"
        )

        count = len(telegram.sent(chat))
        await press(telegram, chat, question, "MRI")
        await next_messages(telegram, chat, count, ends_with("Which part of the body was scanned?"))

        count = len(telegram.sent(chat))
        telegram.push(telegram.text(chat, "my lower back"))  # free text, parsed by the form
        (situation,) = await next_messages(
            telegram, chat, count, ends_with("Which of these best describes your situation?")
        )
        count = len(telegram.sent(chat))
        await press(telegram, chat, situation, "Surgery or another big procedure is planned")
        answer = await next_messages(
            telegram, chat, count, ends_with("Is there anything else I can help with?")
        )
        assert len(answer) >= 2
    assert len(telegram.called("answerCallbackQuery")) == 3
    slots = stack.tracker(conversation(stack, chat))["slots"]
    assert (slots["exam_type"], slots["body_part"]) == ("mri", "spine")
    assert slots["second_opinion_reason"]  # the situation button, read by the form
    user_events = [
        e for e in stack.tracker(conversation(stack, chat))["events"] if e["event"] == "user"
    ]
    assert user_events[0]["input_channel"] == "rest"
    metadata = user_events[0]["metadata"]
    expected = {"channel": "telegram", "chat_id": chat, "language_code": "en"}
    assert {key: metadata[key] for key in expected} == expected


async def test_a_duplicated_update_gets_one_reply(
    stack: Stack, telegram: FakeTelegram, tmp_path: Path, chat: int
) -> None:
    update = telegram.text(chat, "/start")
    async with bridge(bridge_settings(stack, telegram, tmp_path)):
        telegram.push(update, update)
        await next_messages(telegram, chat, 0, ends_with("What would you like help with?"))
        telegram.push(telegram.text(chat, "are you a bot?"))  # a marker after the duplicate
        await telegram.wait_until(lambda: any("automated" in t for t in texts(telegram, chat)))
    assert sum(GREETING in t for t in texts(telegram, chat)) == 1
    events = stack.tracker(conversation(stack, chat))["events"]
    assert [e["text"] for e in events if e["event"] == "user"] == ["/greet", "are you a bot?"]


async def test_a_photo_gets_the_explanation(
    stack: Stack, telegram: FakeTelegram, tmp_path: Path, chat: int
) -> None:
    async with bridge(bridge_settings(stack, telegram, tmp_path)):
        telegram.push(telegram.photo(chat))
        await telegram.wait_for_sent(chat, 1)
        (message,) = telegram.sent(chat)
        assert "photo of a screen" in message["text"]
        await press(telegram, chat, message, "How do I get my images?")
        await next_messages(telegram, chat, 1, lambda new: any("DICOM" in t for t in new))


async def test_a_photo_of_a_printed_report_is_read_when_the_comparison_asks_for_it(
    stack: Stack, telegram: FakeTelegram, tmp_path: Path, chat: int
) -> None:
    pair = yaml.safe_load((ROOT / "tests/fixtures/reports/13-mammogram-side.yml").read_text())
    async with bridge(bridge_settings(stack, telegram, tmp_path)):
        telegram.push(telegram.photo(chat, b"a photo of a screen"))
        await telegram.wait_for_sent(chat, 1)
        (explained,) = telegram.sent(chat)
        await press(telegram, chat, explained, "Compare two reports")
        (ask_a,) = await next_messages(
            telegram, chat, 1, lambda new: any("first report" in t for t in new)
        )
        assert "photo of the printed page" in html.unescape(ask_a["text"])

        photo = pages.phone_photo(tmp_path, pair["a"].splitlines())
        telegram.push(telegram.photo(chat, photo))
        read = await next_messages(
            telegram, chat, 2, lambda new: any("second report (report B)" in t for t in new), 120
        )
        said = html.unescape(" ".join(m["text"] for m in read))
        assert "I read the first report (A)" in said and "Left breast focal asymmetry" in said
        assert "from a picture of the page" in said  # the patient checks what OCR read

        count = len(telegram.sent(chat))
        telegram.push(telegram.text(chat, pair["b"]))
        compared = await next_messages(
            telegram, chat, count, lambda new: any("Where the reports differ" in t for t in new)
        )
        assert "different side" in html.unescape(" ".join(m["text"] for m in compared))
    uploads = [
        e for e in stack.tracker(conversation(stack, chat))["events"]
        if e["event"] == "user" and e["text"] == "/upload_files"
    ]
    assert len(uploads) == 1  # the first photo (no report asked for) was not stored


async def test_a_red_flag_gets_the_emergency_guidance_once_and_rasa_records_it(
    stack: Stack, telegram: FakeTelegram, tmp_path: Path, chat: int
) -> None:
    """The bridge sends the guidance at once; Rasa's own (identical) answer is not shown again,
    but Rasa still runs its emergency action, which the console flags."""
    text = "I have crushing chest pain right now"
    async with bridge(bridge_settings(stack, telegram, tmp_path)):
        telegram.push(telegram.text(chat, text))
        await telegram.wait_for_sent(chat, 1)
        first = texts(telegram, chat)[0]
        assert first.startswith("Please call 911")
        await telegram.wait_until(
            lambda: any(
                e.get("name") == "action_emergency_guidance"
                for e in stack.tracker(conversation(stack, chat))["events"]
            ),
            60,
            "Rasa's emergency action",
        )
        await asyncio.sleep(2)
    assert texts(telegram, chat).count(first) == 1
    assert not any(t.startswith("Please call 911") for t in texts(telegram, chat)[1:])


async def test_webhook_mode_refuses_a_wrong_or_missing_secret_and_answers_the_right_one(
    stack: Stack, telegram: FakeTelegram, tmp_path: Path, chat: int
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/tg"
    tg = TelegramSettings(
        bot_token=TOKEN,
        api_url=telegram.api_url,
        webhook_url=url,
        webhook_secret="right-secret",
        webhook_port=port,
        webhook_allow_http=True,  # the fake Bot API calls no one
    )
    update = json.dumps(telegram.text(chat, "/start"))
    async with (
        bridge(bridge_settings(stack, telegram, tmp_path, telegram=tg)),
        httpx.AsyncClient(timeout=10) as client,
    ):
        assert telegram.webhook is not None and telegram.webhook["secret_token"] == "right-secret"
        plain = {"Content-Type": "application/json"}
        missing = await client.post(url, content=update, headers=plain)
        wrong = await client.post(
            url, content=update, headers={**plain, "X-Telegram-Bot-Api-Secret-Token": "nope"}
        )
        assert (missing.status_code, wrong.status_code) == (403, 403)
        await asyncio.sleep(1)
        assert telegram.sent(chat) == []
        right = await client.post(
            url,
            content=update,
            headers={**plain, "X-Telegram-Bot-Api-Secret-Token": "right-secret"},
        )
        assert right.status_code == 200
        await next_messages(telegram, chat, 0, ends_with("What would you like help with?"))


async def test_rasa_stopped_mid_conversation_the_patient_is_told_and_answered_after_it_returns(
    stack: Stack, telegram: FakeTelegram, tmp_path: Path, chat: int
) -> None:
    """The bridge talks to Rasa through a TCP proxy on its own port. "Rasa stops": the proxy
    closes, so the port refuses connections exactly as a stopped server's does. "Rasa returns":
    a second real Rasa server (same model, action server and tracker database) starts on that
    port, and the conversation goes on where it was."""
    port = free_port()
    proxy = await TcpProxy(port, int(stack.rasa_url.rsplit(":", 1)[1])).start()
    settings = bridge_settings(stack, telegram, tmp_path, rasa_url=f"http://127.0.0.1:{port}")
    async with bridge(settings):
        telegram.push(telegram.text(chat, "/start"))
        menu = (
            await next_messages(telegram, chat, 0, ends_with("What would you like help with?"))
        )[-1]
        count = len(telegram.sent(chat))
        await press(telegram, chat, menu, "Is a second read worth it for me?")
        (question,) = await next_messages(
            telegram, chat, count, ends_with("What kind of exam was it?")
        )

        await proxy.stop()
        count = len(telegram.sent(chat))
        await press(telegram, chat, question, "MRI")
        telegram.push(telegram.text(chat, "my lower back"))  # queued behind the first
        (notice,) = await next_messages(
            telegram, chat, count, lambda new: len(new) == 1, timeout=30
        )
        assert "trouble reaching the assistant" in notice["text"]

        with another_rasa(stack, port, tmp_path / "rasa-again.log"):
            replies = await next_messages(
                telegram,
                chat,
                count + 1,
                ends_with("Which of these best describes your situation?"),
                timeout=400,
            )
    assert [html.unescape(m["text"]) for m in replies] == [
        "Which part of the body was scanned?",
        "Which of these best describes your situation?",
    ]
    slots = stack.tracker(conversation(stack, chat))["slots"]
    assert (slots["exam_type"], slots["body_part"]) == ("mri", "spine")


# -- files -------------------------------------------------------------------------------------


def _conversation_uploads(stack: Stack, chat: int, web_url: str) -> list[dict[str, Any]]:
    token = issue_token(stack.secret_key, conversation(stack, chat), "conversation", 300)
    response = httpx.get(
        f"{web_url}/api/uploads", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    response.raise_for_status()
    return list(response.json()["uploads"])


def _ct_study_zip(directory: Path) -> bytes:
    from tests.fixtures.dicom_factory import ct_series, zip_bytes

    series = directory / "series"
    series.mkdir()
    paths = ct_series(series, slices=10, rows=512, cols=512)
    entries = {f"DICOM/{p.name}": p for p in paths}
    return zip_bytes(entries, compression=zipfile.ZIP_STORED)


async def _checked(stack: Stack, chat: int, web_url: str = "") -> dict[str, Any]:
    """The conversation's one upload, once the web app's worker has checked it."""
    uploads: list[dict[str, Any]] = []
    for _ in range(240):
        uploads = _conversation_uploads(stack, chat, web_url or stack.web_url)
        if uploads and uploads[0]["status"] in ("checked", "failed"):
            (upload,) = uploads
            return upload
        await asyncio.sleep(0.5)
    raise AssertionError(f"upload not checked: {uploads}")


def _chat_text(telegram: FakeTelegram, chat: int) -> str:
    # Rasa's REST channel sends each paragraph of a message as its own message.
    return "\n\n".join(texts(telegram, chat))


async def test_a_5_mb_dicom_study_is_uploaded_and_its_verdict_comes_back(
    stack: Stack, telegram: FakeTelegram, tmp_path: Path, chat: int
) -> None:
    study = _ct_study_zip(tmp_path)
    assert 5_000_000 < len(study) < 6_000_000
    async with bridge(bridge_settings(stack, telegram, tmp_path)):
        telegram.push(telegram.document(chat, "study.zip", study, mime_type="application/zip"))
        upload = await _checked(stack, chat)
        assert (upload["files"], upload["bytes"], upload["ok"]) == (1, len(study), True)
        assert "CT" in upload["message"]
        await telegram.wait_until(
            lambda: upload["message"] in _chat_text(telegram, chat), 60, "the verdict"
        )
        # The web app also announces Telegram uploads (for checks slower than the action's
        # wait); whichever comes second finds the verdict told and says nothing.
        await asyncio.sleep(2)
        assert _chat_text(telegram, chat).count(upload["message"]) == 1
    events = stack.tracker(conversation(stack, chat))["events"]
    (sent,) = [
        e
        for e in events
        if e["event"] == "user" and not e["parse_data"]["intent"]["name"].startswith("EXTERNAL_")
    ]
    assert sent["text"] == "/upload_files"
    assert sent["metadata"]["upload_ids"] == [upload["id"]]


async def _send_big_file_and_upload_through_the_link(
    stack: Stack, telegram: FakeTelegram, settings: Settings, chat: int, tmp_path: Path
) -> dict[str, Any]:
    async with bridge(settings):
        telegram.push(telegram.document(chat, "cd.zip", size=25 * 1024 * 1024))
        await telegram.wait_for_sent(chat, 1)
    (text,) = telegram.texts(chat)
    link = html.unescape(text.split('href="')[1].split('"')[0])
    assert link.startswith(f"{settings.public_url}/upload?token=")
    assert httpx.get(link, timeout=10).status_code == 200  # the upload page
    token = parse_qs(urlsplit(link).query)["token"][0]
    response = httpx.post(
        f"{settings.public_url}/api/uploads",
        headers={"Authorization": f"Bearer {token}"},
        files=[("file", ("study.zip", _ct_study_zip(tmp_path), "application/zip"))],
        timeout=60,
    )
    assert response.status_code == 201, response.text
    (created,) = response.json()["uploads"]
    upload = await _checked(stack, chat, settings.public_url)  # under the chat's conversation
    assert upload["id"] == created["id"]
    return upload


async def test_a_25_mb_document_gets_a_link_and_the_upload_is_bound_to_the_conversation(
    stack: Stack, telegram: FakeTelegram, tmp_path: Path, chat: int
) -> None:
    settings = bridge_settings(stack, telegram, tmp_path)
    upload = await _send_big_file_and_upload_through_the_link(
        stack, telegram, settings, chat, tmp_path
    )
    assert upload["ok"] is True


# A web app next to the stack's, started as `make run` starts it when Telegram is on: with the
# bot token and Rasa's API token, and the bridge's VAR_DIR (whose telegram.db maps the keyed
# conversation ids to chats). `inspect_delay` makes its checks slower than the action's wait.
_SLOW_WEB_APP = """
import os, sys, time
import bot.uploads.worker as worker
inspect = worker.default_inspect
def slow(files):
    time.sleep(float(os.environ["TEST_INSPECT_DELAY_SECONDS"]))
    return inspect(files)
worker.default_inspect = slow
from bot.web.__main__ import main
sys.exit(main())
"""


@asynccontextmanager
async def telegram_web_app(
    stack: Stack, telegram: FakeTelegram, var_dir: Path, inspect_delay: float = 0,
    follow_up_round: float = 86400,
) -> AsyncIterator[str]:
    port = free_port()
    env = dict(
        stack.env,
        VAR_DIR=str(var_dir),  # its stored files and the bridge's telegram.db
        PUBLIC_URL=f"http://127.0.0.1:{port}",
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=telegram.api_url,
        TEST_INSPECT_DELAY_SECONDS=str(inspect_delay),
        FOLLOW_UP_ROUND_SECONDS=str(follow_up_round),
    )
    program = ["-c", _SLOW_WEB_APP] if inspect_delay else ["-m", "bot.web"]
    cmd = [sys.executable, *program, "--port", str(port)]
    with (var_dir / "web.log").open("wb") as log:
        web = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        await _wait_up(f"http://127.0.0.1:{port}/healthz", web)
        yield env["PUBLIC_URL"]
    finally:
        stop(web)


async def test_the_verdict_of_a_link_upload_reaches_the_telegram_chat(
    stack: Stack, telegram: FakeTelegram, tmp_path: Path, chat: int
) -> None:
    """The web app announces the checked upload through Rasa and delivers the reply with
    bot.notify.telegram, finding the chat of the keyed conversation id in telegram.db."""
    async with telegram_web_app(stack, telegram, tmp_path) as web_url:
        settings = bridge_settings(stack, telegram, tmp_path, public_url=web_url)
        upload = await _send_big_file_and_upload_through_the_link(
            stack, telegram, settings, chat, tmp_path
        )
        await telegram.wait_until(
            lambda: upload["message"] in _chat_text(telegram, chat), 60, "the verdict"
        )


async def test_the_verdict_of_a_slow_check_reaches_the_telegram_chat(
    stack: Stack, telegram: FakeTelegram, tmp_path: Path, chat: int
) -> None:
    """A document sent in the chat whose check outlasts the action's wait (4 s): the bot says
    it is still checking, and the verdict comes later from the web app, not from the bridge."""
    study = _ct_study_zip(tmp_path)
    async with (
        telegram_web_app(stack, telegram, tmp_path, inspect_delay=10) as web_url,
        bridge(bridge_settings(stack, telegram, tmp_path, public_url=web_url)),
    ):
        telegram.push(telegram.document(chat, "study.zip", study, mime_type="application/zip"))
        await telegram.wait_until(
            lambda: "still checking" in _chat_text(telegram, chat), 60, "the still-checking note"
        )
        upload = await _checked(stack, chat, web_url)
        assert upload["ok"] is True
        await telegram.wait_until(
            lambda: upload["message"] in _chat_text(telegram, chat), 60, "the verdict"
        )
        await asyncio.sleep(2)
        assert _chat_text(telegram, chat).count(upload["message"]) == 1
    sent = [
        m for m in telegram.called("sendMessage", chat) if upload["message"] in m.params["text"]
    ]
    assert len(sent) == 1


async def test_the_letter_comes_as_a_pdf_and_the_day_10_follow_up_reaches_the_chat(
    stack: Stack, telegram: FakeTelegram, tmp_path: Path, chat: int
) -> None:
    settings = bridge_settings(stack, telegram, tmp_path)
    async with bridge(settings):
        telegram.push(telegram.text(chat, "can you write up the records request"))
        await next_messages(telegram, chat, 0, lambda new: any("Which imaging center" in t
                                                               for t in new))
        before = len(telegram.sent(chat))
        telegram.push(telegram.text(chat, "Harbor Imaging, Salem"))
        new = await next_messages(telegram, chat, before,
                                  lambda new: any("How should they send" in t for t in new))
        before = len(telegram.sent(chat))
        await press(telegram, chat, new[-1], "CD or DVD")
        await next_messages(telegram, chat, before,
                            lambda new: any("authorization" in t for t in new))
    assert "I'll check in with you here in 10 days" in _chat_text(telegram, chat)
    (call,) = telegram.called("sendDocument", chat)
    assert "/letters/request.pdf?token=" in call.params["document"]
    (pdf,) = telegram.fetched_documents  # Telegram fetched it from our web app
    assert pdf.startswith(b"%PDF")

    stack.backdate_records_request(conversation(stack, chat), days=10)
    before = len(telegram.sent(chat))
    # A web app started now (as after a restart) finds the due follow-up in the database.
    async with telegram_web_app(stack, telegram, tmp_path, follow_up_round=1):
        new = await next_messages(telegram, chat, before,
                                  lambda new: any("It's been 10 days" in t for t in new), 90)
    (follow_up,) = [m for m in new if "It's been 10 days" in (m.get("text") or "")]
    assert "Harbor Imaging, Salem" in follow_up["text"]
    assert set(keyboard(follow_up)) == {"Yes, send my files", "Not yet"}
    await asyncio.sleep(3)  # more rounds: sent once
    assert _chat_text(telegram, chat).count("It's been 10 days") == 1


async def _wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient(timeout=2) as client:
        for _ in range(120):
            assert proc.poll() is None, "the web app exited"
            try:
                if (await client.get(url)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.5)
    raise AssertionError(f"{url} not up")
