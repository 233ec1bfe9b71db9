"""Messages to a Telegram conversation from outside the chat (web app, staff console).

E.g. the verdict on files sent through an upload link: the web app gets the bot's messages back
from Rasa's trigger_intent (bot.notify.rasa) and hands them here. Rendering, sending and the
button ids live here, one floor below the bridge (bot.telegram) and the web app, which both use
them, so a button pressed later reaches the bridge like any other. Offline (does nothing)
without TELEGRAM_BOT_TOKEN: the web app needs the token as much as the bridge does (see
bot/config.py), and the bridge's state (bot/notify/telegram/state.py: the shared PostgreSQL
database, or on SQLite the same VAR_DIR's telegram.db), which says which chat a conversation is.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, ExtBot

from bot.config import Settings
from bot.notify.telegram.ids import is_telegram
from bot.notify.telegram.render import Outgoing, render_messages, to_html, to_plain
from bot.notify.telegram.sender import Sender
from bot.notify.telegram.state import BridgeState

logger = logging.getLogger(__name__)

__all__ = ["is_telegram", "send_telegram_text", "send_to_telegram"]


async def send_to_telegram(
    sender_id: str, messages: Sequence[Mapping[str, Any]], settings: Settings | None = None
) -> None:
    """Deliver Rasa messages (REST/trigger_intent format) to the chat of a Telegram conversation.

    ValueError for a sender id of another channel; Telegram errors are logged, not raised, so a
    blocked bot or an outage never breaks the caller's own work."""
    await _deliver(sender_id, render_messages(messages), settings)


async def send_telegram_text(sender_id: str, text: str, settings: Settings | None = None) -> None:
    """A proactive text (markdown links allowed) to the chat of a Telegram conversation."""
    await _deliver(sender_id, [Outgoing(to_html(text), to_plain(text))], settings)


async def _deliver(sender_id: str, items: Sequence[Outgoing], settings: Settings | None) -> None:
    if not is_telegram(sender_id):
        raise ValueError("not a Telegram conversation")
    settings = settings or Settings.load()
    tg = settings.telegram
    if not tg.bot_token:
        logger.warning(
            "TELEGRAM_BOT_TOKEN is not set in this process; %d message(s) for %s dropped",
            len(items),
            sender_id,
        )
        return
    if not items:
        return
    state = BridgeState.for_settings(settings)
    try:
        chat_id = state.chat_of(sender_id)
        if chat_id is None:
            logger.warning("no chat known for %s; %d message(s) dropped", sender_id, len(items))
            return
        bot = ExtBot(
            tg.bot_token,
            base_url=f"{tg.api_url}/bot",
            base_file_url=f"{tg.api_url}/file/bot",
            rate_limiter=AIORateLimiter(max_retries=2),
        )
        try:
            async with bot:
                sent = await Sender(bot, state).send(chat_id, items)
            logger.info("sent %d of %d message(s) to chat %s", sent, len(items), chat_id)
        except TelegramError as error:
            logger.warning("messages to chat %s not sent: %s", chat_id, type(error).__name__)
    finally:
        state.close()
