"""Announcing finished checks of uploads in the chat.

The widget and the Telegram bridge send a chat message with the upload ids themselves, so the
bot answers them in the chat. Files sent from an upload page (a link given in the chat) have no
such message: when their check finishes, the web app wakes the conversation up through Rasa and,
for Telegram conversations, delivers the reply itself (Rasa returns it for REST conversations;
it pushes it to socket.io ones on its own). Telegram uploads are announced as well, for checks
that outlast the action's short wait.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from bot.config import Settings
from bot.notify.rasa import RasaNotifier
from bot.notify.telegram import is_telegram
from bot.uploads.records import UploadRecord

Deliver = Callable[[str, Sequence[Mapping[str, Any]]], Awaitable[None]]


def partial_settings(
    deliver: Callable[[str, Sequence[Mapping[str, Any]], Settings], Awaitable[None]],
    settings: Settings,
) -> Deliver:
    async def bound(sender_id: str, messages: Sequence[Mapping[str, Any]]) -> None:
        await deliver(sender_id, messages, settings)

    return bound


def link_upload_announcer(
    rasa: RasaNotifier, deliver_telegram: Deliver | None
) -> Callable[[UploadRecord], Awaitable[None]]:
    async def announce(record: UploadRecord) -> None:
        # Telegram conversations too: a check that outlasts the action's short wait would
        # otherwise never reach the chat (Rasa's reminders answer REST conversations into the
        # void). The action never repeats a verdict, so a second announcement says nothing.
        if not (record.via_link or is_telegram(record.conversation_id)):
            return
        messages = await rasa.uploads_checked(record.conversation_id, [record.public_id])
        if messages and deliver_telegram and record.conversation_id.startswith("telegram:"):
            await deliver_telegram(record.conversation_id, messages)

    return announce
