"""`python -m bot.telegram`: run the bridge until SIGINT or SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from bot.config import ConfigError as SettingsError
from bot.config import Settings
from bot.telegram.app import ConfigError, quiet_libraries, running


async def serve(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with running(settings):
        await stop.wait()


def main() -> int:
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
