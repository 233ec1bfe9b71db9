"""Sending rendered messages to a chat: inline keyboards with short callback ids, HTML with a
plain-text fallback, photos and documents by URL. Shared by the bridge and bot.notify.telegram.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.notify.telegram.render import Button, Outgoing
from bot.notify.telegram.state import BridgeState

logger = logging.getLogger(__name__)

# Callback data (≤ 64 bytes): "b:" + a 16-character id kept in BridgeState.
CALLBACK_PREFIX = "b:"
# The marked choice left after a press; pressing it again does nothing.
CHOSEN = "chosen"
# A preview would make Telegram's servers open our links, e.g. a one-time upload link.
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def keyboard(buttons: Sequence[Button], state: BridgeState) -> InlineKeyboardMarkup | None:
    """One button per row: titles are sentences and would be cut off side by side."""
    rows: list[list[InlineKeyboardButton]] = []
    for button in buttons:
        if button.url:
            rows.append([InlineKeyboardButton(button.title, url=button.url)])
        elif button.payload:
            data = CALLBACK_PREFIX + state.button_id(button.payload)
            rows.append([InlineKeyboardButton(button.title, callback_data=data)])
    return InlineKeyboardMarkup(rows) if rows else None


def chosen_keyboard(title: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(f"✓ {title}", callback_data=CHOSEN)]])


class Sender:
    def __init__(self, bot: Bot, state: BridgeState) -> None:
        self._bot = bot
        self._state = state

    async def send(self, chat_id: int, items: Sequence[Outgoing]) -> int:
        """Send in order; returns how many were sent. Stops if the patient blocked the bot."""
        sent = 0
        for item in items:
            try:
                await self._send_one(chat_id, item)
            except Forbidden:
                logger.info("chat %s blocked the bot; %d message(s) not sent", chat_id, len(items))
                break
            sent += 1
        return sent

    async def _send_one(self, chat_id: int, item: Outgoing) -> None:
        markup = keyboard(item.buttons, self._state)
        media = item.photo_url or item.document_url
        if media:
            try:
                if item.photo_url:
                    await self._bot.send_photo(
                        chat_id,
                        item.photo_url,
                        caption=item.html or None,
                        parse_mode=ParseMode.HTML,
                        reply_markup=markup,
                    )
                else:
                    await self._bot.send_document(
                        chat_id,
                        media,
                        caption=item.html or None,
                        parse_mode=ParseMode.HTML,
                        reply_markup=markup,
                    )
                return
            except BadRequest as error:
                # Telegram could not fetch the URL: send it as a link instead.
                logger.warning("media for chat %s refused: %s", chat_id, type(error).__name__)
                item = Outgoing(f"{item.html}\n{media}".strip(), f"{item.plain}\n{media}".strip())
        try:
            await self._bot.send_message(
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
            await self._bot.send_message(
                chat_id, item.plain, reply_markup=markup, link_preview_options=NO_PREVIEW
            )


async def send_quietly(sender: Sender, chat_id: int, items: Sequence[Outgoing]) -> None:
    """For best-effort notices: a Telegram failure is logged, not raised."""
    try:
        await sender.send(chat_id, items)
    except TelegramError as error:
        logger.warning("notice to chat %s not sent: %s", chat_id, type(error).__name__)
