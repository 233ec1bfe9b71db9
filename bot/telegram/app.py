"""The bridge's Application: built from Settings, run by long polling or behind a webhook."""

from __future__ import annotations

import logging
import secrets
import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeAlias
from urllib.parse import urlsplit

from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ContextTypes, TypeHandler

from bot.config import Settings, TelegramSettings
from bot.notify.telegram.state import BridgeState
from bot.telegram.bridge import Bridge
from bot.telegram.checks import problems
from bot.telegram.commands import COMMANDS
from bot.telegram.legacy import legacy_chat_ids
from bot.telegram.rasa_client import RasaClient
from bot.telegram.uploads import UploadClient
from bot.telegram.webhook import WebhookListener

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]
TelegramApp: TypeAlias = Application[Any, Any, Any, Any, Any, Any]
# Telegram's own default for setWebhook.
MAX_CONNECTIONS = 40


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class Tuning:
    """Timings; tests shorten them."""

    rasa_deadline_seconds: float = 900.0
    notice_after_seconds: float = 8.0
    poll_timeout_seconds: int = 10
    concurrent_updates: int = 64


def quiet_libraries() -> None:
    """httpx logs every request URL at INFO, and Bot API URLs contain the bot token."""
    for name in ("httpx", "httpcore", "telegram", "tornado.access"):
        logging.getLogger(name).setLevel(logging.WARNING)


def build_application(tg: TelegramSettings, bridge: Bridge, tuning: Tuning) -> TelegramApp:
    application = (
        Application.builder()
        .token(tg.bot_token)
        .base_url(f"{tg.api_url}/bot")
        .base_file_url(f"{tg.api_url}/file/bot")
        .rate_limiter(AIORateLimiter(max_retries=3))
        .concurrent_updates(tuning.concurrent_updates)
        .build()
    )
    application.add_handler(TypeHandler(Update, bridge.on_update))
    application.add_error_handler(_log_error)
    return application


async def _log_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    # Type and place only: messages of some errors carry URLs with the bot token or user data.
    error = context.error
    where = traceback.extract_tb(error.__traceback__)[-1] if error and error.__traceback__ else None
    update_id = update.update_id if isinstance(update, Update) else None
    logger.error(
        "update %s failed: %s at %s",
        update_id,
        type(error).__name__,
        f"{where.filename}:{where.lineno}" if where else "?",
    )


def webhook_secret(tg: TelegramSettings) -> str:
    # Registered with setWebhook at every start, so a fresh one per run also works.
    return tg.webhook_secret or secrets.token_urlsafe(32)


def adopt_legacy_conversations(state: BridgeState, tracker_db_url: str | None) -> None:
    """Chats whose conversation is still `telegram:<chat id>` keep it (bot.notify.telegram.ids)."""
    if not tracker_db_url:
        return
    adopted = state.adopt_legacy(legacy_chat_ids(tracker_db_url))
    if adopted:
        logger.info("%d earlier Telegram conversation(s) keep their conversation id", adopted)


@asynccontextmanager
async def running(
    settings: Settings, tuning: Tuning | None = None, tracker_db_url: str | None = None
) -> AsyncIterator[TelegramApp]:
    """The bridge, receiving updates until the block ends. ConfigError before anything starts
    when the configuration cannot work. `tracker_db_url`: Rasa's tracker database, to find
    conversations of chats that began before conversation ids were keyed."""
    tuning = tuning or Tuning()
    tg = settings.telegram
    found = problems(settings)
    if found:
        raise ConfigError("; ".join(found))
    state = BridgeState.for_settings(settings)
    state.import_file(settings.var_dir)  # a telegram.db from before the shared database
    state.prune()
    adopt_legacy_conversations(state, tracker_db_url)
    rasa = RasaClient(
        settings.rasa_url, settings.secret_key, deadline_seconds=tuning.rasa_deadline_seconds
    )
    uploads = UploadClient(settings.public_url, settings.secret_key)
    bridge = Bridge(
        state,
        rasa,
        uploads,
        settings.public_url,
        settings.secret_key,
        notice_after_seconds=tuning.notice_after_seconds,
    )
    application = build_application(tg, bridge, tuning)
    try:
        async with application:
            await _set_commands(application)
            await application.start()
            updater = application.updater
            assert updater is not None
            listener: WebhookListener | None = None
            if tg.webhook_url:
                listener = await _start_webhook(application, tg)
            else:
                await updater.start_polling(
                    timeout=tuning.poll_timeout_seconds, allowed_updates=ALLOWED_UPDATES
                )
                logger.info("Telegram bridge: long polling")
            try:
                yield application
            finally:
                rasa.stop_retrying()
                if listener:
                    await listener.stop()
                else:
                    await updater.stop()
                await application.stop()
    finally:
        await rasa.aclose()
        await uploads.aclose()
        state.close()


async def _start_webhook(application: TelegramApp, tg: TelegramSettings) -> WebhookListener:
    secret = webhook_secret(tg)
    listener = WebhookListener(
        application.bot,
        application.update_queue,
        secret,
        urlsplit(tg.webhook_url).path,
        tg.webhook_listen,
        tg.webhook_port,
    )
    try:
        listener.start()
    except OSError as error:
        raise ConfigError(
            f"cannot listen on {tg.webhook_listen}:{tg.webhook_port} "
            f"(TELEGRAM_WEBHOOK_PORT): {error.strerror}"
        ) from error
    try:
        await application.bot.set_webhook(
            tg.webhook_url,
            secret_token=secret,
            allowed_updates=ALLOWED_UPDATES,
            max_connections=MAX_CONNECTIONS,
        )
    except BaseException:
        await listener.stop()
        raise
    logger.info("Telegram bridge: webhook on port %d", tg.webhook_port)
    return listener


async def _set_commands(application: TelegramApp) -> None:
    commands = [BotCommand(name, description) for name, (_, description) in COMMANDS.items()]
    try:
        await application.bot.set_my_commands(commands)
    except TelegramError as error:  # the menu is a convenience; chatting works without it
        logger.warning("command menu not set: %s", type(error).__name__)
