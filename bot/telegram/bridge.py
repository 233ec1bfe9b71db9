"""What the bridge does with each Telegram update.

Updates are handled concurrently across chats but one at a time per chat (a lock per chat, taken
in arrival order), so a patient's messages reach Rasa in the order they were sent even while Rasa
is being waited for. Every update id is claimed in BridgeState first: a redelivered update is
dropped. Logs carry chat and update ids and counts, never texts or file names.

Red flags never wait: before anything else (the chat's lock, Rasa, the file), the text or
caption of each message goes through the keyword safety net (bot.guidance.red_flags) and
emergency guidance is sent at once. The message then goes to Rasa as usual, and Rasa's own
emergency answer to it, identical to what was just sent, is dropped rather than shown twice.
Dropping (instead of telling Rasa to stay quiet) keeps Rasa's side unchanged: its
action_emergency_guidance still runs, ends any form and marks the conversation for staff.

Buttons belong to the prompt (the batch of bot messages) that showed them: a press on a prompt
that has passed, or a second press on an answered one, never reaches Rasa; the patient is told
and shown the current question again.
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

from bot.guidance.red_flags import detect_red_flags, emergency_guidance
from bot.notify.telegram.render import (
    Outgoing,
    asks_for_report,
    render_messages,
    to_html,
    to_plain,
)
from bot.notify.telegram.sender import (
    CALLBACK_PREFIX,
    Sender,
    chosen_keyboard,
    send_quietly,
    stored_keyboard,
)
from bot.notify.telegram.state import BridgeState, StoredButton
from bot.telegram import texts
from bot.telegram.albums import Albums
from bot.telegram.commands import rasa_text
from bot.telegram.files import DocumentIntake, Intake
from bot.telegram.pastes import LongPastes
from bot.telegram.rasa_client import RasaClient, RasaUnavailable
from bot.telegram.uploads import UploadClient

logger = logging.getLogger(__name__)


def bridge_says(text: str, buttons: tuple[Any, ...] = ()) -> list[Outgoing]:
    return [Outgoing(to_html(text), to_plain(text), buttons)]


class ChatLocks:
    """One asyncio.Lock per chat, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def in_order(self, chat_id: int) -> AsyncIterator[None]:
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
        self._secret = secret_key
        self._files = DocumentIntake(uploads, public_url, secret_key, self.conversation_of)
        self._albums = Albums()
        self._pastes = LongPastes()
        self._notice_after = notice_after_seconds
        self._locks = ChatLocks()
        self._background: set[asyncio.Task[None]] = set()

    def conversation_of(self, chat_id: int) -> str:
        return self._state.conversation_for(chat_id, self._secret)

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        if update.callback_query:
            # Not awaited: awaiting here would let a later update of this chat go first.
            # Judged now, before a press queued ahead in this chat can change the prompt.
            note, alert = self._button_note(chat.id, update.callback_query)
            self._in_background(self._answer_button(update.callback_query, note, alert))
        message = update.message
        shown, guidance = None, None
        if message and chat.type == ChatType.PRIVATE:
            # Not awaited either (this update keeps its place in the chat's queue); awaited
            # below before anything else of this update is sent, so the guidance comes first.
            shown, guidance = self._red_flag_first(context.bot, chat.id, message, update.update_id)
        if message and message.text and chat.type == ChatType.PRIVATE:
            # Registered on arrival too: a long paste's first part waits for the rest.
            self._pastes.add(chat.id, update.update_id, message.text)
        if message and message.document and message.media_group_id:
            # Registered on arrival, so the album's first file can wait for the others.
            key = f"{chat.id}:{message.media_group_id}"
            self._albums.add(key, update.update_id, message.document)
        async with self._locks.in_order(chat.id):
            if guidance is not None:
                await guidance
            if not self._state.claim_update(context.bot.id, update.update_id):
                logger.info("update %d for chat %s seen before; skipped", update.update_id, chat.id)
                return
            sender = Sender(context.bot, self._state)
            if chat.type != ChatType.PRIVATE:
                await send_quietly(sender, chat.id, bridge_says(texts.PRIVATE_ONLY))
            elif update.callback_query:
                await self._on_button(context.bot, sender, chat, update.callback_query)
            elif message:
                await self._on_message(context.bot, sender, chat, message, update.update_id, shown)

    def _in_background(self, work: Any) -> asyncio.Task[None]:
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    # -- red flags -----------------------------------------------------------------------------

    def _red_flag_first(
        self, bot: Bot, chat_id: int, message: Message, update_id: int
    ) -> tuple[str | None, asyncio.Task[None] | None]:
        """Emergency guidance for a text or caption with a red flag, sent at once: it waits for
        neither the chat's lock, nor Rasa, nor the file. Once per update, also when Telegram
        delivers it again. Returns the guidance (worded as Rasa's action words it: every
        emergency found, in the net's order) and the sending."""
        flags = detect_red_flags(message.text or message.caption)
        if not flags:
            return None, None
        guidance = emergency_guidance([flag.category for flag in flags])
        if not self._state.claim_red_flag(bot.id, update_id):
            return guidance, None
        categories = ",".join(flag.category for flag in flags)
        logger.info("chat %s: red flag (%s); emergency guidance sent", chat_id, categories)
        sending = send_quietly(Sender(bot, self._state), chat_id, bridge_says(guidance))
        return guidance, self._in_background(sending)

    # -- messages ------------------------------------------------------------------------------

    async def _on_message(
        self,
        bot: Bot,
        sender: Sender,
        chat: Chat,
        message: Message,
        update_id: int,
        shown: str | None,
    ) -> None:
        user = message.from_user
        caption = rasa_text(message.caption or "")
        if message.document:
            if caption and shown:
                # The conversation records the emergency (and ends a form) before the file.
                await self.converse(sender, chat.id, user, caption, shown=shown)
            await self._on_document(bot, sender, chat, message, update_id, caption)
        elif message.photo and self._state.wants_report_photo(chat.id):
            logger.info("chat %s sent a photo of a report", chat.id)
            if caption and shown:
                await self.converse(sender, chat.id, user, caption, shown=shown)
            intake = await self._files.receive_report_photo(bot, chat.id, message.photo[-1])
            await self._send_intake(sender, chat, message, intake, caption)
        elif message.photo:
            logger.info("chat %s sent a photo; explained", chat.id)
            explained = bridge_says(texts.PHOTO, texts.PHOTO_BUTTONS)
            if caption:
                # The patient's words with the photo, read like any message; the explanation
                # joins Rasa's answer in one prompt, so neither one's buttons pass the other's.
                await self.converse(sender, chat.id, user, caption, shown=shown, then=explained)
            else:
                await sender.send(chat.id, explained)
        elif message.text:
            whole = await self._pastes.take(chat.id, update_id, message.text)
            if whole is None:
                return  # a later part of a long paste, sent with its first part
            text = rasa_text(whole)
            if text:
                await self.converse(sender, chat.id, user, text, shown=shown)
        elif message.effective_attachment:
            await sender.send(chat.id, bridge_says(texts.UNSUPPORTED), prompt=False)
            if caption:
                await self.converse(sender, chat.id, user, caption, shown=shown)
        # Service messages (pins, joins, …) need no answer.

    # -- buttons -------------------------------------------------------------------------------

    def _pressed(self, data: str) -> StoredButton | None:
        if not data.startswith(CALLBACK_PREFIX):
            return None
        return self._state.button(data.removeprefix(CALLBACK_PREFIX))

    def _button_note(self, chat_id: int, query: CallbackQuery) -> tuple[str | None, bool]:
        """An unknown or expired id gets an alert, a question that has passed a short note
        (the chat then shows the current one), a current one nothing."""
        data = query.data or ""
        button = self._pressed(data)
        if data.startswith(CALLBACK_PREFIX) and button is None:
            return texts.BUTTON_EXPIRED, True
        if button is not None:
            current = self._state.current_prompt(chat_id)
            if current is None or current.prompt_id != button.prompt_id:
                return texts.QUESTION_PASSED, False
        return None, False

    async def _answer_button(self, query: CallbackQuery, note: str | None, alert: bool) -> None:
        """Answer at once, before waiting for the chat's lock: Telegram shows a spinner until
        then and refuses late answers."""
        try:
            await query.answer(note, show_alert=alert)
        except TelegramError as error:  # already answered (a redelivery) or too old
            logger.info("callback not answered: %s", type(error).__name__)

    async def _on_button(self, bot: Bot, sender: Sender, chat: Chat, query: CallbackQuery) -> None:
        data = query.data or ""
        button = self._pressed(data)
        if button is None or button.chat_id != chat.id or not button.payload:
            return  # unknown or expired (alerted), or the marked choice of an earlier press
        if not self._state.take_prompt(chat.id, button.prompt_id):
            logger.info("chat %s pressed a button of a question that has passed", chat.id)
            await self._passed(bot, sender, chat.id, query)
            return
        await self._mark_choice(query, chat.id, [button.title])
        await self.converse(sender, chat.id, query.from_user, button.payload)

    async def _mark_choice(self, query: CallbackQuery, chat_id: int, titles: list[str]) -> None:
        """The pressed keyboard becomes "✓ <title>" (no title: the keyboard goes)."""
        markup = chosen_keyboard(titles[0]) if titles else None
        try:
            await query.edit_message_reply_markup(markup)
        except TelegramError as error:  # e.g. pressed twice quickly: "not modified"
            logger.info("keyboard for chat %s not edited: %s", chat_id, type(error).__name__)

    async def _passed(self, bot: Bot, sender: Sender, chat_id: int, query: CallbackQuery) -> None:
        """Nothing reaches Rasa: the old keyboard goes, and the current question is shown again
        (a copy of its message with its own, still valid, buttons)."""
        message = query.message
        if isinstance(message, Message) and message.reply_markup:
            await self._mark_choice(query, chat_id, [])
        current = self._state.current_prompt(chat_id)
        if current is None or current.message_id is None:
            await send_quietly(sender, chat_id, bridge_says(texts.QUESTION_PASSED))
            return
        await send_quietly(sender, chat_id, bridge_says(texts.QUESTION_PASSED_SEE_CURRENT))
        markup = stored_keyboard(self._state.prompt_buttons(current.prompt_id))
        try:
            await bot.copy_message(chat_id, chat_id, current.message_id, reply_markup=markup)
        except TelegramError as error:  # e.g. the patient deleted that message
            logger.info("current question for chat %s not shown: %s", chat_id, type(error).__name__)

    # -- files ---------------------------------------------------------------------------------

    async def _on_document(
        self, bot: Bot, sender: Sender, chat: Chat, message: Message, update_id: int, caption: str
    ) -> None:
        documents = [message.document] if message.document else []
        if message.media_group_id:
            documents = await self._albums.take(f"{chat.id}:{message.media_group_id}", update_id)
            if not documents:
                return  # uploaded together with an earlier file of the same album
        with contextlib.suppress(TelegramError):  # cosmetic
            await bot.send_chat_action(chat.id, ChatAction.UPLOAD_DOCUMENT)
        intake = await self._files.receive(bot, chat.id, documents)
        await self._send_intake(sender, chat, message, intake, caption)

    async def _send_intake(
        self, sender: Sender, chat: Chat, message: Message, intake: Intake, caption: str
    ) -> None:
        if intake.notes:
            notes = [m for note in intake.notes for m in bridge_says(note)]
            await sender.send(chat.id, notes, False)
        if intake.upload_ids:
            # The caption travels with the files rather than as a message of its own: "here are
            # my scans" would otherwise get the how-to-send answer before the verdict.
            metadata: dict[str, Any] = {"upload_ids": intake.upload_ids}
            if caption:
                metadata["caption"] = caption
            await self.converse(sender, chat.id, message.from_user, "/upload_files", metadata)

    # -- Rasa ----------------------------------------------------------------------------------

    async def converse(
        self,
        sender: Sender,
        chat_id: int,
        user: User | None,
        text: str,
        metadata: Mapping[str, Any] | None = None,
        shown: str | None = None,
        then: list[Outgoing] | None = None,
    ) -> None:
        """Send one message to Rasa and its replies, in order, to the chat. `shown`: the
        emergency guidance the bridge already sent for this message; `then`: our
        own messages to send after the replies (also when Rasa cannot answer)."""
        full = {
            "channel": "telegram",
            "chat_id": chat_id,
            "language_code": user.language_code if user else None,
            **(metadata or {}),
        }
        replies = await self._ask(sender, chat_id, text, full)
        if replies is not None:
            self._state.want_report_photo(chat_id, asks_for_report(replies))
        replies = replies or []
        if shown is not None:
            replies = without_repeated_guidance(replies, shown)
        await sender.send(chat_id, render_messages(replies) + (then or []))

    async def _ask(
        self, sender: Sender, chat_id: int, text: str, metadata: dict[str, Any]
    ) -> list[dict[str, Any]] | None:
        conversation = self.conversation_of(chat_id)
        task = asyncio.create_task(self._rasa.send(conversation, text, metadata))
        try:
            done, _ = await asyncio.wait({task}, timeout=self._notice_after)
            if not done:
                logger.info("chat %s: Rasa slow or down; patient told", chat_id)
                await send_quietly(sender, chat_id, bridge_says(texts.TROUBLE))
            return await task
        except RasaUnavailable as error:
            logger.warning("chat %s: message not delivered to Rasa: %s", chat_id, error)
            # Also when shutting down: the update is claimed, nobody would answer it later.
            await send_quietly(sender, chat_id, bridge_says(texts.GAVE_UP))
            return None
        finally:
            task.cancel()


def without_repeated_guidance(replies: list[dict[str, Any]], shown: str) -> list[dict[str, Any]]:
    """Rasa's replies without the emergency guidance the bridge already sent (Rasa's action
    words it with the same functions on the same text; its REST channel may split paragraphs;
    the general wording is dropped too, for an emergency the NLU saw and the net did not name)."""
    paragraphs = {
        paragraph.strip()
        for guidance in (shown, emergency_guidance(None))
        for paragraph in guidance.split("\n\n")
    }
    return [
        reply
        for reply in replies
        if reply.get("buttons") or str(reply.get("text") or "").strip() not in paragraphs
    ]
