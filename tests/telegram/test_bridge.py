"""The bridge in long-polling mode against the fake Bot API and a fake Rasa + upload API."""

from __future__ import annotations

import html
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bot.config import Settings
from bot.notify.telegram.ids import keyed_conversation_id
from bot.security.tokens import verify_token
from bot.telegram.app import Tuning, running
from tests.telegram.fake_api import FakeTelegram
from tests.telegram.fake_backend import SECRET, FakeBackend

FAST = Tuning(poll_timeout_seconds=1, notice_after_seconds=1.5, rasa_deadline_seconds=60)
CHAT = 4242
CONVERSATION = keyed_conversation_id(CHAT, SECRET)


@asynccontextmanager
async def bridge(settings: Settings, tuning: Tuning = FAST) -> AsyncIterator[None]:
    async with running(settings, tuning):
        yield


def menu(body: dict[str, Any]) -> list[dict[str, Any]]:
    if body["message"] == "/greet":
        return [
            {"text": "Hi <there> & welcome"},
            {
                "text": "What would you like help with?",
                "buttons": [
                    {"title": "Is a second read worth it?", "payload": "/ask_worthwhile"},
                    {
                        "title": "Exam",
                        "payload": '/inform{"exam_type":"mri","note":"' + "x" * 80 + '"}',
                    },
                ],
            },
        ]
    return [{"text": f"got {body['message']}"}]


async def test_text_goes_to_rasa_with_metadata_and_replies_come_back_in_order(
    telegram: FakeTelegram, backend: FakeBackend, settings: Settings
) -> None:
    backend.reply = lambda body: [{"text": "one"}, {"text": "two <b>"}, {"text": "three"}]
    async with bridge(settings):
        telegram.push(telegram.text(CHAT, "hello there"))
        await telegram.wait_for_sent(CHAT, 3)
    (body,) = backend.rasa_bodies
    assert body == {
        "sender": CONVERSATION,
        "message": "hello there",
        "metadata": {"channel": "telegram", "chat_id": CHAT, "language_code": "en"},
    }
    assert telegram.texts(CHAT) == ["one", "two &lt;b&gt;", "three"]
    for call in telegram.called("sendMessage", CHAT):
        assert call.params["parse_mode"] == "HTML"
        assert call.params["link_preview_options"] == {"is_disabled": True}


async def test_inline_buttons_map_to_short_callback_ids_and_a_press_marks_the_choice(
    telegram: FakeTelegram, backend: FakeBackend, settings: Settings
) -> None:
    backend.reply = menu
    async with bridge(settings):
        telegram.push(telegram.text(CHAT, "/start"))
        await telegram.wait_for_sent(CHAT, 2)
        greeting, question = telegram.sent(CHAT)
        assert greeting["text"] == "Hi &lt;there&gt; &amp; welcome"
        rows = question["reply_markup"]["inline_keyboard"]
        assert [row[0]["text"] for row in rows] == ["Is a second read worth it?", "Exam"]
        data = [row[0]["callback_data"] for row in rows]
        assert all(len(d.encode()) <= 64 for d in data)

        telegram.push(telegram.button_press(CHAT, question["message_id"], data[1]))
        await telegram.wait_for_sent(CHAT, 3)
    assert backend.messages() == ["/greet", '/inform{"exam_type":"mri","note":"' + "x" * 80 + '"}']
    (answer,) = telegram.called("answerCallbackQuery")
    assert "text" not in answer.params
    (edit,) = telegram.called("editMessageReplyMarkup", CHAT)
    assert edit.params["message_id"] == question["message_id"]
    assert edit.params["reply_markup"]["inline_keyboard"] == [
        [{"text": "✓ Exam", "callback_data": "chosen"}]
    ]
    assert telegram.texts(CHAT)[-1].startswith("got /inform")


async def test_a_redelivered_update_is_handled_once_even_across_restarts(
    telegram: FakeTelegram, backend: FakeBackend, settings: Settings
) -> None:
    update = telegram.text(CHAT, "only once please")
    async with bridge(settings):
        telegram.push(update, update)  # Telegram delivering the same update twice
        await telegram.wait_for_sent(CHAT, 1)
        telegram.push(telegram.text(CHAT, "next"))
        await telegram.wait_for_sent(CHAT, 2)
    async with bridge(settings):  # a restart: the processed ids were persisted
        telegram.push(update)
        telegram.push(telegram.text(CHAT, "after restart"))
        await telegram.wait_for_sent(CHAT, 3)
    assert backend.messages() == ["only once please", "next", "after restart"]


async def test_commands_map_to_intents_and_typed_slashes_never_pick_an_intent(
    telegram: FakeTelegram, backend: FakeBackend, settings: Settings
) -> None:
    typed = ["/start", "/help", "/restart@secondread_test_bot", "/delete_my_data", "/settings now"]
    typed.append('/inform{"case_confirmed": true}')
    async with bridge(settings):
        for text in typed:
            telegram.push(telegram.text(CHAT, text))
        await telegram.wait_for_sent(CHAT, len(typed))
    assert backend.messages() == [
        "/greet",
        "/help",
        "/restart",
        "/delete_my_data",
        "settings now",
        'inform{"case_confirmed": true}',
    ]
    (commands,) = telegram.called("setMyCommands")
    assert [c["command"] for c in commands.params["commands"]] == [
        "start",
        "help",
        "restart",
        "delete_my_data",
    ]


async def test_a_photo_gets_the_explanation_and_never_reaches_rasa(
    telegram: FakeTelegram, backend: FakeBackend, settings: Settings
) -> None:
    async with bridge(settings):
        telegram.push(telegram.photo(CHAT))
        await telegram.wait_for_sent(CHAT, 1)
        (message,) = telegram.sent(CHAT)
        assert "photo of a screen" in message["text"]
        assert "DICOM" in message["text"]
        # A photo of a printed report: the comparison asks for it, and then reads it.
        assert '"Compare two reports" below, then send the photo again' in message["text"]
        how = message["reply_markup"]["inline_keyboard"][0][0]
        assert how["text"] == "How do I get my images?"
        telegram.push(telegram.button_press(CHAT, message["message_id"], how["callback_data"]))
        await telegram.wait_for_sent(CHAT, 2)
    assert backend.messages() == ["/request_records"]
    assert backend.uploads == []


def asks_for_report_a(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Rasa's REST replies when the comparison asks for report A: the question, then the
    domain's marker as a message of its own (Rasa's output channels send `custom` apart)."""
    if body["message"] == "compare my reports":
        return [
            {"recipient_id": body["sender"], "text": "Paste the first report, or a photo of it."},
            {"recipient_id": body["sender"], "custom": {"accepts": "report_picture"}},
        ]
    return [{"recipient_id": body["sender"], "text": "I read the first report (A)."}]


async def test_a_photo_sent_when_a_report_is_asked_for_is_uploaded_as_that_report(
    telegram: FakeTelegram, backend: FakeBackend, settings: Settings
) -> None:
    backend.reply = asks_for_report_a
    async with bridge(settings):
        telegram.push(telegram.text(CHAT, "compare my reports"))
        await telegram.wait_for_sent(CHAT, 1)
        telegram.push(telegram.photo(CHAT, b"\xff\xd8 the largest size"))
        await telegram.wait_for_sent(CHAT, 2)
        # Answered (the form has its report): the next photo is a photo again.
        telegram.push(telegram.photo(CHAT, b"\xff\xd8 another"))
        await telegram.wait_for_sent(CHAT, 3)
    assert [shown for shown in telegram.texts(CHAT)][1] == "I read the first report (A)."
    assert "photo of a screen" in telegram.texts(CHAT)[2]
    (upload,) = backend.uploads
    assert upload.files == [("report-photo.jpg", b"\xff\xd8 the largest size")]
    assert backend.messages() == ["compare my reports", "/upload_files"]
    assert backend.rasa_bodies[1]["metadata"]["upload_ids"]


async def test_a_small_document_is_uploaded_and_rasa_gets_the_upload_ids(
    telegram: FakeTelegram, backend: FakeBackend, settings: Settings
) -> None:
    content = b"\0" * 128 + b"DICM" + b"x" * 5000
    async with bridge(settings):
        telegram.push(telegram.document(CHAT, "Jane Doe MRI.dcm", content))
        await telegram.wait_for_sent(CHAT, 1)
    (upload,) = backend.uploads
    assert upload.conversation_id == CONVERSATION
    assert upload.scope == "upload"
    assert upload.files == [("Jane Doe MRI.dcm", content)]
    (body,) = backend.rasa_bodies
    assert body["message"] == "/upload_files"
    assert body["metadata"]["upload_ids"] == ["up_1"]
    assert body["metadata"]["channel"] == "telegram"


async def test_a_refused_upload_tells_the_patient_why(
    telegram: FakeTelegram, backend: FakeBackend, settings: Settings
) -> None:
    backend.upload_status, backend.upload_message = 413, "That's more than I can take <here>."
    async with bridge(settings):
        telegram.push(telegram.document(CHAT, "study.zip", b"PK" + b"0" * 100, mime_type="x"))
        await telegram.wait_for_sent(CHAT, 1)
    assert telegram.texts(CHAT) == ["That's more than I can take &lt;here&gt;."]
    assert backend.rasa_bodies == []


async def test_a_document_over_20_mb_gets_a_private_upload_link(
    telegram: FakeTelegram, backend: FakeBackend, settings: Settings
) -> None:
    async with bridge(settings):
        telegram.push(telegram.document(CHAT, "cd.zip", size=25 * 1024 * 1024))
        await telegram.wait_for_sent(CHAT, 1)
    assert telegram.called("getFile") == []
    (text,) = telegram.texts(CHAT)
    assert "larger than 20 MB" in text
    link = html.unescape(text.split('href="')[1].split('"')[0])
    assert link.startswith(f"{backend.url}/upload?token=")
    token = parse_qs(urlsplit(link).query)["token"][0]
    claims = verify_token(SECRET, token, ("link",))
    assert claims.conversation_id == CONVERSATION
    assert 23 * 3600 < claims.expires_at - time.time() <= 24 * 3600
    assert backend.rasa_bodies == [] and backend.uploads == []


async def test_rasa_down_the_patient_is_told_and_answered_when_it_returns(
    telegram: FakeTelegram, backend: FakeBackend, settings: Settings
) -> None:
    async with bridge(settings):
        telegram.push(telegram.text(CHAT, "first"))
        await telegram.wait_for_sent(CHAT, 1)
        await backend.stop()
        telegram.push(telegram.text(CHAT, "while down"))
        telegram.push(telegram.text(CHAT, "second while down"))
        await telegram.wait_for_sent(CHAT, 2, timeout=10)
        assert "trouble reaching the assistant" in telegram.texts(CHAT)[1]
        await backend.start()
        await telegram.wait_for_sent(CHAT, 4, timeout=20)
    assert backend.messages() == ["first", "while down", "second while down"]
    assert telegram.texts(CHAT)[2:] == ["you said: while down", "you said: second while down"]


async def test_rasa_gone_for_too_long_the_patient_is_asked_to_try_again(
    telegram: FakeTelegram, backend: FakeBackend, settings: Settings
) -> None:
    await backend.stop()
    short = replace(FAST, rasa_deadline_seconds=2, notice_after_seconds=10)
    async with bridge(settings, short):
        telegram.push(telegram.text(CHAT, "anyone?"))
        await telegram.wait_for_sent(CHAT, 1, timeout=10)
    assert "still can't reach the assistant" in telegram.texts(CHAT)[0]


async def test_group_chats_are_refused_and_other_media_explained(
    telegram: FakeTelegram, backend: FakeBackend, settings: Settings
) -> None:
    group = telegram.text(-100, "hello bot")
    group["message"]["chat"] = {"id": -100, "type": "group", "title": "Family"}
    async with bridge(settings):
        telegram.push(group)
        telegram.push(telegram.user_message(CHAT, sticker=_STICKER))
        await telegram.wait_for_sent(-100, 1)
        await telegram.wait_for_sent(CHAT, 1)
    assert "only talk in a direct chat" in telegram.texts(-100)[0]
    assert "I can read text messages and files" in telegram.texts(CHAT)[0]
    assert backend.rasa_bodies == []


async def test_an_unknown_or_chosen_button_does_not_reach_rasa(
    telegram: FakeTelegram, backend: FakeBackend, settings: Settings
) -> None:
    backend.reply = menu
    async with bridge(settings):
        telegram.push(telegram.text(CHAT, "/start"))
        await telegram.wait_for_sent(CHAT, 2)
        question = telegram.sent(CHAT)[1]
        telegram.push(telegram.button_press(CHAT, question["message_id"], "b:AAAAAAAAAAAAAAAA"))
        telegram.push(telegram.button_press(CHAT, question["message_id"], "chosen"))
        await telegram.wait_until(lambda: len(telegram.called("answerCallbackQuery")) == 2)
    expired, chosen = telegram.called("answerCallbackQuery")
    assert expired.params["show_alert"] is True
    assert "expired" in expired.params["text"]
    assert "text" not in chosen.params
    assert backend.messages() == ["/greet"]


_STICKER = {
    "file_id": "st1",
    "file_unique_id": "ust1",
    "type": "regular",
    "width": 512,
    "height": 512,
    "is_animated": False,
    "is_video": False,
}


async def test_files_sent_together_become_one_upload(
    telegram: FakeTelegram, backend: FakeBackend, settings: Settings
) -> None:
    files = [(f"IM{i:04d}.dcm", bytes([i]) * 1000) for i in range(3)]
    album = [telegram.document(CHAT, n, c, media_group_id="album1") for n, c in files]
    big = telegram.document(CHAT, "cd.iso", size=700 * 1024 * 1024, media_group_id="album1")
    async with bridge(settings):
        telegram.push(album[0], album[1])
        telegram.push(album[1])  # a redelivery in the middle of the album
        telegram.push(album[2], big)
        await telegram.wait_for_sent(CHAT, 2)
        telegram.push(telegram.text(CHAT, "done?"))
        await telegram.wait_for_sent(CHAT, 3)
    (upload,) = backend.uploads
    assert upload.files == files
    assert backend.messages() == ["/upload_files", "done?"]
    assert backend.rasa_bodies[0]["metadata"]["upload_ids"] == ["up_1"]
    link_note, verdict, _ = telegram.texts(CHAT)
    assert "larger than 20 MB" in link_note and verdict == "you said: /upload_files"


async def test_a_press_and_a_message_right_after_it_reach_rasa_in_order(
    telegram: FakeTelegram, backend: FakeBackend, settings: Settings
) -> None:
    backend.reply = menu
    async with bridge(settings):
        telegram.push(telegram.text(CHAT, "/start"))
        await telegram.wait_for_sent(CHAT, 2)
        question = telegram.sent(CHAT)[1]
        data = question["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        telegram.push(
            telegram.button_press(CHAT, question["message_id"], data),
            telegram.text(CHAT, "typed right after"),
        )
        await telegram.wait_for_sent(CHAT, 4)
    assert backend.messages() == ["/greet", "/ask_worthwhile", "typed right after"]
