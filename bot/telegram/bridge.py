"""What the bridge does with each Telegram update.

Updates are handled concurrently across chats but one at a time per chat (a lock per chat, taken
in arrival order), so a patient's messages reach Rasa in the order they were sent even while Rasa
is being waited for. Every update id is claimed in BridgeState first: a redelivered update is
dropped. Logs carry chat and update ids and counts, never texts or file names.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from telegram import Bot, CallbackQuery, Chat, Message, Update, User
from telegram.constants import ChatAction, ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.notify.telegram.ids import conversation_id
from bot.notify.telegram.render import Outgoing, render_messages, to_html, to_plain
from bot.notify.telegram.sender import CALLBACK_PREFIX, Sender, chosen_keyboard, send_quietly
from bot.notify.telegram.state import BridgeState
from bot.telegram import texts
from bot.telegram.albums import Albums
from bot.telegram.commands import rasa_text
from bot.telegram.files import DocumentIntake
from bot.telegram.rasa_client import RasaClient, RasaUnavailable
from bot.telegram.uploads import UploadClient

logger = logging.getLogger(__name__)


def said(text: str, buttons: tuple[Any, ...] = ()) -> list[Outgoing]:
    return [Outgoing(to_html(text), to_plain(text), buttons)]


class ChatLocks:
    """One asyncio.Lock per chat, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, chat_id: int) -> AsyncIterator[None]:
        lock, users = self._locks.get(chat_id, (asyncio.Lock(), 0))
        self._locks[chat_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[chat_id]
            if users == 1:
                del self._locks[chat_id]
            else:
                self._locks[chat_id] = (lock, users - 1)


class Bridge:
    def __init__(
        self,
        state: BridgeState,
        rasa: RasaClient,
        uploads: UploadClient,
        public_url: str,
        secret_key: str,
        notice_after_seconds: float = 8.0,
    ) -> None:
        self._state = state
        self._rasa = rasa
        self._files = DocumentIntake(uploads, public_url, secret_key)
        self._albums = Albums()
        self._notice_after = notice_after_seconds
        self._locks = ChatLocks()
        self._background: set[asyncio.Task[None]] = set()

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        if update.callback_query:
            # Not awaited: awaiting here would let a later update of this chat go first.
            answering = asyncio.create_task(self._answer_button(update.callback_query))
            self._background.add(answering)
            answering.add_done_callback(self._background.discard)
        message = update.message
        if message and message.document and message.media_group_id:
            # Registered on arrival, so the album's first file can wait for the others.
            key = f"{chat.id}:{message.media_group_id}"
            self._albums.add(key, update.update_id, message.document)
        async with self._locks.hold(chat.id):
            if not self._state.claim_update(context.bot.id, update.update_id):
                logger.info("update %d for chat %s seen before; skipped", update.update_id, chat.id)
                return
            sender = Sender(context.bot, self._state)
            if chat.type != ChatType.PRIVATE:
                await send_quietly(sender, chat.id, said(texts.PRIVATE_ONLY))
            elif update.callback_query:
                await self._on_button(sender, chat, update.callback_query)
            elif update.message:
                await self._on_message(context.bot, sender, chat, update.message, update.update_id)

    async def _on_message(
        self, bot: Bot, sender: Sender, chat: Chat, message: Message, update_id: int
    ) -> None:
        user = message.from_user
        if message.document:
            await self._on_document(bot, sender, chat, message, update_id)
        elif message.photo:
            logger.info("chat %s sent a photo; explained", chat.id)
            await sender.send(chat.id, said(texts.PHOTO, texts.PHOTO_BUTTONS))
        elif message.text:
            text = rasa_text(message.text)
            if text:
                await self.converse(sender, chat.id, user, text)
        elif message.effective_attachment:
            await sender.send(chat.id, said(texts.UNSUPPORTED))
        # Service messages (pins, joins, …) need no answer.

    # -- buttons -------------------------------------------------------------------------------

    async def _answer_button(self, query: CallbackQuery) -> None:
        """Answer at once, before waiting for the chat's lock: Telegram shows a spinner until
        then and refuses late answers. An unknown id gets an alert instead."""
        data = query.data or ""
        known = data.startswith(CALLBACK_PREFIX) and (
            self._state.button_payload(data.removeprefix(CALLBACK_PREFIX)) is not None
        )
        expired = data.startswith(CALLBACK_PREFIX) and not known
        try:
            await query.answer(texts.BUTTON_EXPIRED if expired else None, show_alert=expired)
        except TelegramError as error:  # already answered (a redelivery) or too old
            logger.info("callback not answered: %s", type(error).__name__)

    async def _on_button(self, sender: Sender, chat: Chat, query: CallbackQuery) -> None:
        data = query.data or ""
        if not data.startswith(CALLBACK_PREFIX):
            return  # the marked choice of an earlier press
        payload = self._state.button_payload(data.removeprefix(CALLBACK_PREFIX))
        if payload is None:
            return
        message = query.message
        if isinstance(message, Message) and message.reply_markup:
            titles = [
                b.text
                for row in message.reply_markup.inline_keyboard
                for b in row
                if b.callback_data == data
            ]
            try:
                await query.edit_message_reply_markup(chosen_keyboard(titles[0] if titles else ""))
            except TelegramError as error:  # e.g. pressed twice quickly: "not modified"
                logger.info("keyboard for chat %s not edited: %s", chat.id, type(error).__name__)
        await self.converse(sender, chat.id, query.from_user, payload)

    # -- files ---------------------------------------------------------------------------------

    async def _on_document(
        self, bot: Bot, sender: Sender, chat: Chat, message: Message, update_id: int
    ) -> None:
        documents = [message.document] if message.document else []
        if message.media_group_id:
            documents = await self._albums.take(f"{chat.id}:{message.media_group_id}", update_id)
            if not documents:
                return  # uploaded together with an earlier file of the same album
        with contextlib.suppress(TelegramError):  # cosmetic
            await bot.send_chat_action(chat.id, ChatAction.UPLOAD_DOCUMENT)
        intake = await self._files.receive(bot, chat.id, documents)
        for note in intake.notes:
            await sender.send(chat.id, said(note))
        if intake.upload_ids:
            metadata = {"upload_ids": intake.upload_ids}
            await self.converse(sender, chat.id, message.from_user, "/upload_files", metadata)

    # -- Rasa ----------------------------------------------------------------------------------

    async def converse(
        self,
        sender: Sender,
        chat_id: int,
        user: User | None,
        text: str,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        """Send one message to Rasa and its replies, in order, to the chat."""
        full = {
            "channel": "telegram",
            "chat_id": chat_id,
            "language_code": user.language_code if user else None,
            **(metadata or {}),
        }
        replies = await self._ask(sender, chat_id, text, full)
        if replies is not None:
            await sender.send(chat_id, render_messages(replies))

    async def _ask(
        self, sender: Sender, chat_id: int, text: str, metadata: dict[str, Any]
    ) -> list[dict[str, Any]] | None:
        task = asyncio.create_task(self._rasa.send(conversation_id(chat_id), text, metadata))
        try:
            done, _ = await asyncio.wait({task}, timeout=self._notice_after)
            if not done:
                logger.info("chat %s: Rasa slow or down; patient told", chat_id)
                await send_quietly(sender, chat_id, said(texts.TROUBLE))
            return await task
        except RasaUnavailable as error:
            logger.warning("chat %s: message not delivered to Rasa: %s", chat_id, error)
            # Also when shutting down: the update is claimed, nobody would answer it later.
            await send_quietly(sender, chat_id, said(texts.GAVE_UP))
            return None
        finally:
            task.cancel()
