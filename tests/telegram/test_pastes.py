"""Long pastes split by Telegram's apps are joined again: unit tests of the collector, and the
bridge sending one message to Rasa through the fake Bot API."""

from __future__ import annotations

import asyncio

from bot.config import Settings
from bot.telegram.pastes import SPLIT_AT, LongPastes
from tests.telegram.fake_api import FakeTelegram
from tests.telegram.fake_backend import FakeBackend
from tests.telegram.test_bridge import CHAT, bridge

FINDINGS = "FINDINGS:\n" + "The lungs are clear without focal consolidation. " * 90
IMPRESSION = "IMPRESSION:\nNo acute cardiopulmonary abnormality."


async def test_a_long_text_and_the_part_after_it_are_one_message() -> None:
    pastes = LongPastes(quiet_seconds=0.05)
    assert len(FINDINGS) >= SPLIT_AT
    pastes.add(1, 10, FINDINGS)
    pastes.add(1, 11, IMPRESSION)
    joined = await pastes.take(1, 10, FINDINGS)
    assert joined == FINDINGS.strip("\n") + "\n" + IMPRESSION
    assert await pastes.take(1, 11, IMPRESSION) is None  # sent with the first part
    assert await pastes.take(1, 12, "thanks") == "thanks"  # and life goes on


async def test_short_messages_and_other_chats_are_left_alone() -> None:
    pastes = LongPastes(quiet_seconds=0.05)
    pastes.add(1, 10, "hello")
    pastes.add(1, 11, "is a second read worth it?")
    assert await pastes.take(1, 10, "hello") == "hello"
    pastes.add(1, 20, FINDINGS)
    pastes.add(2, 21, IMPRESSION)  # another chat's message is not part of it
    assert await pastes.take(1, 20, FINDINGS) == FINDINGS.strip("\n")
    assert await pastes.take(2, 21, IMPRESSION) == IMPRESSION


async def test_three_parts_wait_for_each_other() -> None:
    pastes = LongPastes(quiet_seconds=0.2)
    pastes.add(1, 1, FINDINGS)

    async def later() -> None:
        await asyncio.sleep(0.1)
        pastes.add(1, 2, FINDINGS)
        await asyncio.sleep(0.1)
        pastes.add(1, 3, IMPRESSION)

    task = asyncio.create_task(later())
    joined = await pastes.take(1, 1, FINDINGS)
    await task
    assert joined is not None and joined.count("FINDINGS:") == 2 and joined.endswith(IMPRESSION)


async def test_the_bridge_sends_a_split_report_to_rasa_as_one_message(
    telegram: FakeTelegram, backend: FakeBackend, settings: Settings
) -> None:
    backend.reply = lambda body: [{"text": f"got {len(body['message'])} characters"}]
    async with bridge(settings):
        telegram.push(telegram.text(CHAT, FINDINGS.strip()))
        telegram.push(telegram.text(CHAT, IMPRESSION))
        await telegram.wait_for_sent(CHAT, 1)
        await asyncio.sleep(2)  # nothing more comes: the second part was not sent alone
    (body,) = backend.rasa_bodies
    assert body["message"].startswith("FINDINGS:") and body["message"].endswith(IMPRESSION)
    assert telegram.texts(CHAT) == [f"got {len(body['message'])} characters"]
