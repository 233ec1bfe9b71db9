"""`python -m bot.telegram`: run the bridge until SIGINT or SIGTERM.

`python -m bot.telegram --check-config`: only say whether the Telegram configuration works
(exit 0 when it does or when Telegram is off, 2 with the problems otherwise).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from bot.config import ConfigError as SettingsError
from bot.config import Settings
from bot.db import database_url
from bot.telegram.app import ConfigError, quiet_libraries, running
from bot.telegram.checks import problems


async def serve(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with running(settings, tracker_db_url=database_url()):
        await stop.wait()


def check_config(settings: Settings) -> int:
    if not settings.telegram.bot_token:
        print("Telegram: off (TELEGRAM_BOT_TOKEN is not set)")
        return 0
    found = problems(settings)
    for problem in found:
        print(f"Telegram configuration: {problem}", file=sys.stderr)
    if not found:
        mode = "webhook" if settings.telegram.webhook_url else "long polling"
        print(f"Telegram: configuration ok ({mode})")
    return 2 if found else 0


def main() -> int:
    if sys.argv[1:] == ["--check-config"]:
        try:
            return check_config(Settings.load())
        except SettingsError as error:
            print(f"Telegram configuration: {error}", file=sys.stderr)
            return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    quiet_libraries()
    try:
        asyncio.run(serve(Settings.load()))
    except (ConfigError, SettingsError) as error:
        print(f"Telegram bridge not started: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
