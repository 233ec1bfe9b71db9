"""Channel safety (issue 15): red flags answered before anything else, captions read like
messages, old buttons that cannot answer the question asked now, conversation ids that do not
reveal the chat. The bridge in long-polling mode against the fake Bot API and a fake Rasa."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.guidance.red_flags import detect_red_flags, emergency_guidance
from bot.notify.telegram import send_to_telegram
from bot.notify.telegram.ids import keyed_conversation_id
from bot.telegram.app import running
from tests.telegram.fake_api import FakeTelegram
from tests.telegram.fake_backend import SECRET, FakeBackend
from tests.telegram.test_bridge import FAST

CHAT = 6161
CHEST_PAIN = "here is a photo of my scan. I have crushing chest pain right now"
BLADDER = "here are my MRI files. I can't control my bladder and my back hurts"


def like_rasa(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Rasa's answers: its own emergency guidance for a red flag (worded as
    bot.actions.safety words it), and two yes/no questions whose "Yes" buttons send the same
    generic payload."""
    message = body["message"]
    if flags := detect_red_flags(message):
        return [{"text": emergency_guidance([flag.category for flag in flags])}]
    if message == "/delete_my_data":
        buttons = [
            {"title": "Yes, delete everything", "payload": "/affirm"},
            {"title": "No, keep it", "payload": "/deny"},
        ]
        return [{"text": "Delete everything this chat stored?", "buttons": buttons}]
    if message == "/affirm":
        return [{"text": "Done: everything is deleted."}]
    buttons = [
        {"title": "Yes, show me the options", "payload": "/affirm"},
        {"title": "No, thanks", "payload": "/deny"},
    ]
    return [
        {"text": f"About {message}: here you go."},
        {"text": "Is there anything else I can help with?", "buttons": buttons},
    ]


def texts(telegram: FakeTelegram, chat: int = CHAT) -> list[str]:
    return telegram.shown(chat)


def keyboard(message: dict[str, Any]) -> dict[str, str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return {row[0]["text"]: row[0].get("callback_data", "") for row in rows}


async def wait_for_text(telegram: FakeTelegram, text: str, timeout: float = 10) -> float:
    """Seconds until `text` was sent to the chat."""
    started = time.monotonic()
    await telegram.wait_until(lambda: text in texts(telegram), timeout, repr(text[:40]))
    return time.monotonic() - started


# -- red flags and captions --------------------------------------------------------------------


async def test_a_captioned_photo_with_a_red_flag_gets_emergency_guidance_first(
    telegram: FakeTelegram, backend: FakeBackend, settings: Settings
) -> None:
    backend.reply = like_rasa
    photo = telegram.photo(CHAT)
    photo["message"]["caption"] = CHEST_PAIN
    async with running(settings, FAST):
        telegram.push(photo)
        await telegram.wait_until(lambda: len(backend.rasa_bodies) == 1)
        await asyncio.sleep(0.5)  # Rasa's answer, had it been shown
    guidance = emergency_guidance("chest_pain")
    sent = texts(telegram)
    assert sent[0] == guidance
    assert "photo of a screen" in sent[1]
    assert sent.count(guidance) == 1  # Rasa's own emergency answer is not shown twice
    assert backend.messages() == [CHEST_PAIN]  # the caption reached Rasa


async def test_a_photo_caption_is_answered_and_the_explanation_buttons_still_work(
    telegram: FakeTelegram, backend: FakeBackend, settings: Settings
) -> None:
    backend.reply = like_rasa
    photo = telegram.photo(CHAT)
    photo["message"]["caption"] = "is this a good picture of my MRI?"
    async with running(settings, FAST):
        telegram.push(photo)
        await telegram.wait_for_sent(CHAT, 3)
        answer, _anything_else, explanation = telegram.sent(CHAT)
        assert answer["text"].startswith("About is this a good picture")
        assert "photo of a screen" in explanation["text"]
        how = keyboard(explanation)["How do I get my images?"]
        telegram.push(telegram.button_press(CHAT, explanation["message_id"], how))
        await telegram.wait_until(lambda: len(backend.rasa_bodies) == 2)
    assert backend.messages() == ["is this a good picture of my MRI?", "/request_records"]


async def test_a_captioned_document_with_a_red_flag_gets_emergency_guidance_then_its_upload(
    telegram: FakeTelegram, backend: FakeBackend, settings: Settings
) -> None:
    backend.reply = like_rasa
    document = telegram.document(CHAT, "IM0001.dcm", b"\0" * 128 + b"DICM" + b"x" * 500)
    document["message"]["caption"] = BLADDER
    async with running(settings, FAST):
        telegram.push(document)
        await telegram.wait_until(lambda: len(backend.rasa_bodies) == 2)
        await telegram.wait_for_sent(CHAT, 2)
    guidance = emergency_guidance("cauda_equina")
    sent = texts(telegram)
    assert sent[0] == guidance and sent.count(guidance) == 1
    assert len(backend.uploads) == 1  # then the file is handled
    caption, upload = backend.rasa_bodies
    assert caption["message"] == BLADDER  # recorded by Rasa (ends a form, flags the chat)
    assert upload["message"] == "/upload_files"
    assert upload["metadata"]["caption"] == BLADDER
    assert upload["metadata"]["upload_ids"] == ["up_1"]


async def test_a_plain_caption_travels_with_the_files(
    telegram: FakeTelegram, backend: FakeBackend, settings: Settings
) -> None:
    document = telegram.document(CHAT, "IM0001.dcm", b"\0" * 128 + b"DICM" + b"x" * 500)
    document["message"]["caption"] = "here are my MRI files"
    async with running(settings, FAST):
        telegram.push(document)
        await telegram.wait_for_sent(CHAT, 1)
    (body,) = backend.rasa_bodies
    assert body["message"] == "/upload_files"
    assert body["metadata"]["caption"] == "here are my MRI files"


async def test_with_rasa_down_a_red_flag_gets_emergency_guidance_within_a_second(
    telegram: FakeTelegram, backend: FakeBackend, settings: Settings
) -> None:
    await backend.stop()
    async with running(settings, FAST):
        telegram.push(telegram.text(CHAT, "I have crushing chest pain right now"))
        took = await wait_for_text(telegram, emergency_guidance("chest_pain"))
        assert took < 1.0
        # Then, as for any message, the patient hears that the assistant is unreachable.
        await telegram.wait_until(lambda: any("trouble reaching" in t for t in texts(telegram)))
    assert texts(telegram)[0] == emergency_guidance("chest_pain")


async def test_a_red_flag_behind_a_pending_message_is_answered_within_a_second(
    telegram: FakeTelegram, backend: FakeBackend, settings: Settings
) -> None:
    backend.reply = like_rasa
    backend.rasa_delay = 6  # the chat's first message keeps its lock that long
    async with running(settings, FAST):
        telegram.push(telegram.text(CHAT, "how do I get my images?"))
        await telegram.wait_until(lambda: len(backend.rasa_bodies) == 1)
        telegram.push(telegram.text(CHAT, "I have crushing chest pain right now"))
        took = await wait_for_text(telegram, emergency_guidance("chest_pain"))
        assert took < 1.0
        assert len(backend.rasa_bodies) == 1  # still waiting for the first answer
        await telegram.wait_until(lambda: len(backend.rasa_bodies) == 2, 20)
        await asyncio.sleep(6.5)
    sent = texts(telegram)
    assert sent[0] == emergency_guidance("chest_pain")
    assert sent.count(emergency_guidance("chest_pain")) == 1
    assert backend.messages() == ["how do I get my images?", "I have crushing chest pain right now"]


async def test_several_emergencies_get_one_guidance_with_each_ones_advice(
    telegram: FakeTelegram, backend: FakeBackend, settings: Settings
) -> None:
    backend.reply = like_rasa
    text = "I have crushing chest pain and honestly I want to die"
    async with running(settings, FAST):
        telegram.push(telegram.text(CHAT, text))
        await telegram.wait_until(lambda: len(backend.rasa_bodies) == 1)
        await telegram.wait_for_sent(CHAT, 1)
        await asyncio.sleep(0.5)
    (guidance,) = texts(telegram)  # Rasa's identical answer is not shown again
    assert "988" in guidance and "heart attack" in guidance


async def test_a_redelivered_red_flag_gets_its_guidance_once(
    telegram: FakeTelegram, backend: FakeBackend, settings: Settings
) -> None:
    update = telegram.text(CHAT, "I have crushing chest pain right now")
    async with running(settings, FAST):
        telegram.push(update, update)
        await telegram.wait_until(lambda: len(backend.rasa_bodies) == 1)
        telegram.push(telegram.text(CHAT, "marker"))
        await telegram.wait_until(lambda: len(backend.rasa_bodies) == 2)
        await telegram.wait_for_sent(CHAT, 3)
    assert texts(telegram).count(emergency_guidance("chest_pain")) == 1


# -- buttons -----------------------------------------------------------------------------------


async def test_an_old_yes_pressed_after_delete_my_data_deletes_nothing(
    telegram: FakeTelegram, backend: FakeBackend, settings: Settings
) -> None:
    backend.reply = like_rasa
    async with running(settings, FAST):
        telegram.push(telegram.text(CHAT, "insurance"))
        await telegram.wait_for_sent(CHAT, 2)
        anything_else = telegram.sent(CHAT)[-1]
        old_yes = keyboard(anything_else)["Yes, show me the options"]

        telegram.push(telegram.text(CHAT, "/delete_my_data"))
        await telegram.wait_for_sent(CHAT, 3)
        delete_question = telegram.sent(CHAT)[-1]
        new_yes = keyboard(delete_question)["Yes, delete everything"]
        assert old_yes != new_yes  # the same payload, but not the same question

        telegram.push(telegram.button_press(CHAT, anything_else["message_id"], old_yes))
        await telegram.wait_for_sent(CHAT, 5)
        await asyncio.sleep(0.5)
        assert backend.messages() == ["insurance", "/delete_my_data"]  # nothing deleted
        notice, again = telegram.sent(CHAT)[3:]
        assert "That question has passed" in notice["text"]
        assert again["text"] == "Delete everything this chat stored?"  # the current question
        (answer,) = telegram.called("answerCallbackQuery")
        assert "passed" in answer.params["text"]
        edit = telegram.called("editMessageReplyMarkup", CHAT)[-1]  # the old keyboard goes
        assert edit.params["message_id"] == anything_else["message_id"]
        assert not edit.params.get("reply_markup")

        # The question shown again works, once.
        yes_again = keyboard(again)["Yes, delete everything"]
        telegram.push(telegram.button_press(CHAT, again["message_id"], yes_again))
        await telegram.wait_until(lambda: len(backend.rasa_bodies) == 3)
        telegram.push(telegram.button_press(CHAT, delete_question["message_id"], new_yes))
        await telegram.wait_for_sent(CHAT, 7)
        await asyncio.sleep(0.5)
    assert backend.messages() == ["insurance", "/delete_my_data", "/affirm"]


async def test_a_second_press_on_an_answered_question_does_not_reach_rasa(
    telegram: FakeTelegram, backend: FakeBackend, settings: Settings
) -> None:
    backend.reply = like_rasa
    backend.rasa_delay = 1
    async with running(settings, FAST):
        telegram.push(telegram.text(CHAT, "insurance"))
        await telegram.wait_for_sent(CHAT, 2)
        question = telegram.sent(CHAT)[-1]
        data = keyboard(question)
        telegram.push(
            telegram.button_press(CHAT, question["message_id"], data["No, thanks"]),
            telegram.button_press(CHAT, question["message_id"], data["Yes, show me the options"]),
        )
        await telegram.wait_until(lambda: len(telegram.called("answerCallbackQuery")) == 2)
        await telegram.wait_for_sent(CHAT, 4)
        await asyncio.sleep(1.5)
    assert backend.messages() == ["insurance", "/deny"]


# -- conversation ids --------------------------------------------------------------------------


def _tracker_db_with(path: Path, *senders: str) -> str:
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
            "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
            "action_name VARCHAR(255), data TEXT)"
        )
        for sender in senders:
            db.execute(
                "INSERT INTO events (sender_id, type_name, data) VALUES (?, 'user', '{}')",
                (sender,),
            )
    return f"sqlite:///{path}"


async def test_conversation_ids_hide_the_chat_and_earlier_conversations_go_on(
    telegram: FakeTelegram, backend: FakeBackend, settings: Settings, tmp_path: Path
) -> None:
    tracker = _tracker_db_with(tmp_path / "tracker.db", "telegram:7001", "abc123", "telegram:x")
    async with running(settings, FAST, tracker_db_url=tracker):
        telegram.push(telegram.text(7001, "I was here before"))
        telegram.push(telegram.text(7002, "I am new"))
        await telegram.wait_for_sent(7001, 1)
        await telegram.wait_for_sent(7002, 1)
    senders = {b["message"]: b["sender"] for b in backend.rasa_bodies}
    assert senders["I was here before"] == "telegram:7001"  # the legacy conversation goes on
    new = senders["I am new"]
    assert new == keyed_conversation_id(7002, SECRET) and "7002" not in new
    assert backend.refused == 0

    # The web app's notifier finds the chat of both (verdicts, staff replies).
    await send_to_telegram(new, [{"text": "your verdict"}], settings)
    await send_to_telegram("telegram:7001", [{"text": "your old verdict"}], settings)
    assert telegram.texts(7002)[-1] == "your verdict"
    assert telegram.texts(7001)[-1] == "your old verdict"


async def test_a_red_flag_keeps_its_place_in_the_chats_order(
    telegram: FakeTelegram, backend: FakeBackend, settings: Settings
) -> None:
    async with running(settings, FAST):
        telegram.push(
            telegram.text(CHAT, "I have crushing chest pain right now"),
            telegram.text(CHAT, "and it started an hour ago"),
        )
        await telegram.wait_until(lambda: len(backend.rasa_bodies) == 2)
        await telegram.wait_for_sent(CHAT, 3)
    assert backend.messages() == [
        "I have crushing chest pain right now",
        "and it started an hour ago",
    ]
    assert texts(telegram)[0] == emergency_guidance("chest_pain")
