"""Sending rendered messages to a chat: inline keyboards with short callback ids, HTML with a
plain-text fallback, photos and documents by URL. Shared by the bridge and bot.notify.telegram.

A batch sent as a prompt (the bot's replies of one turn, a verdict) becomes the chat's current
prompt in BridgeState and its buttons belong to it; notices of the bridge's own (trouble
reaching Rasa, emergency guidance) leave the current prompt as it is and carry no buttons.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.notify.telegram.render import Button, Outgoing
from bot.notify.telegram.state import BridgeState, StoredButton

logger = logging.getLogger(__name__)

# Callback data (≤ 64 bytes): "b:" + a random 16-character id kept in BridgeState.
CALLBACK_PREFIX = "b:"
# The marked choice left after a press; pressing it again does nothing.
CHOSEN = "chosen"
# A preview would make Telegram's servers open our links, e.g. a one-time upload link.
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def keyboard(
    buttons: Sequence[Button], state: BridgeState, chat_id: int, prompt_id: str
) -> InlineKeyboardMarkup | None:
    """One button per row: titles are sentences and would be cut off side by side."""
    stored = [
        StoredButton(
            state.add_button(chat_id, prompt_id, i, b.title, b.payload, b.url),
            prompt_id,
            chat_id,
            b.title,
            b.payload,
            b.url,
        )
        for i, b in enumerate(buttons)
        if b.url or b.payload
    ]
    return stored_keyboard(stored)


def stored_keyboard(buttons: Sequence[StoredButton]) -> InlineKeyboardMarkup | None:
    rows: list[list[InlineKeyboardButton]] = []
    for button in buttons:
        if button.url:
            rows.append([InlineKeyboardButton(button.title, url=button.url)])
        elif button.payload:
            data = CALLBACK_PREFIX + button.id
            rows.append([InlineKeyboardButton(button.title, callback_data=data)])
    return InlineKeyboardMarkup(rows) if rows else None


def chosen_keyboard(title: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(f"✓ {title}", callback_data=CHOSEN)]])


class Sender:
    def __init__(self, bot: Bot, state: BridgeState) -> None:
        self._bot = bot
        self._state = state

    async def send(self, chat_id: int, items: Sequence[Outgoing], prompt: bool = True) -> int:
        """Send in order; returns how many were sent. Stops if the patient blocked the bot.

        `prompt`: the batch becomes the chat's current prompt (earlier buttons have passed);
        otherwise it must carry no buttons (they would have passed already)."""
        if not items:
            return 0
        prompt_id = self._state.open_prompt(chat_id) if prompt else None
        sent = 0
        for item in items:
            try:
                message = await self._send_one(chat_id, item, prompt_id)
            except Forbidden:
                logger.info("chat %s blocked the bot; %d message(s) not sent", chat_id, len(items))
                break
            sent += 1
            # The message to show again: the last one with buttons, else the last one.
            if prompt_id and (item.buttons or not _has_buttons(items[: sent - 1])):
                self._state.anchor_prompt(chat_id, prompt_id, message.message_id)
        return sent

    async def _send_one(self, chat_id: int, item: Outgoing, prompt_id: str | None) -> Message:
        markup = None
        if item.buttons:
            if prompt_id is None:
                raise ValueError("buttons need a prompt")
            markup = keyboard(item.buttons, self._state, chat_id, prompt_id)
        media = item.photo_url or item.document_url
        if media:
            try:
                if item.photo_url:
                    return await self._bot.send_photo(
                        chat_id,
                        item.photo_url,
                        caption=item.html or None,
                        parse_mode=ParseMode.HTML,
                        reply_markup=markup,
                    )
                return await self._bot.send_document(
                    chat_id,
                    media,
                    caption=item.html or None,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                )
            except BadRequest as error:
                # Telegram could not fetch the URL: send it as a link instead.
                logger.warning("media for chat %s refused: %s", chat_id, type(error).__name__)
                item = Outgoing(f"{item.html}\n{media}".strip(), f"{item.plain}\n{media}".strip())
        try:
            return await self._bot.send_message(
                chat_id,
                item.html,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=NO_PREVIEW,
            )
        except BadRequest as error:
            if "parse" not in str(error).lower():
                raise
            # Our escaping should make this impossible; never lose the words if it happens.
            logger.error("HTML refused for chat %s; sending plain text", chat_id)
            return await self._bot.send_message(
                chat_id, item.plain, reply_markup=markup, link_preview_options=NO_PREVIEW
            )


def _has_buttons(items: Sequence[Outgoing]) -> bool:
    return any(item.buttons for item in items)


async def send_quietly(sender: Sender, chat_id: int, items: Sequence[Outgoing]) -> None:
    """For best-effort notices of our own (no prompt, no buttons): a Telegram failure is
    logged, not raised."""
    try:
        await sender.send(chat_id, items, prompt=False)
    except TelegramError as error:
        logger.warning("notice to chat %s not sent: %s", chat_id, type(error).__name__)
