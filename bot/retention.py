"""Keeping the consent promise: erase conversations whose case closed over 12 months ago.

The web app runs this once a day; `python -m bot.retention` runs it once (e.g. from cron when
the web app is not the one to do it).
"""

from __future__ import annotations

import asyncio
import logging

from bot.cases.runtime import case_service
from bot.db import StorageUnavailable
from bot.storage import remove_stored_file

logger = logging.getLogger(__name__)

DAY_SECONDS = 24 * 3600


def purge_once() -> int:
    erased = case_service().purge_expired(remove_stored_file)
    logger.info("retention: erased %d conversations", erased)
    return erased


async def purge_daily(first_delay: float = 60.0, interval: float = DAY_SECONDS) -> None:
    """Runs until cancelled; a database outage only postpones the purge to the next day."""
    await asyncio.sleep(first_delay)
    while True:
        try:
            await asyncio.to_thread(purge_once)
        except StorageUnavailable:
            logger.warning("retention: database unavailable, trying again tomorrow")
        await asyncio.sleep(interval)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    print(f"erased {purge_once()} conversations whose case closed over 12 months ago")


if __name__ == "__main__":
    main()
