"""Keeping data no longer than promised; the web app runs this once a day, and
`python -m bot.retention` runs it once (e.g. from cron when the web app is not the one to do it).

- A conversation whose case closed (or was cancelled) over 12 months ago is erased, as the
  consent text promises.
- A conversation that never became a case (messages, uploads, consent answers) is erased after
  `RETENTION_INACTIVE_DAYS` days without activity (30 by default; Settings).
- Status-lookup attempts and failures older than an hour are dropped.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from bot.cases.runtime import case_service
from bot.config import Settings
from bot.db import StorageUnavailable
from bot.letters.store import purge_old_letters
from bot.storage import remove_stored_file

logger = logging.getLogger(__name__)

DAY_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Purged:
    closed_cases: int  # conversations whose case closed over 12 months ago
    inactive: int  # conversations without a case, silent for longer than the setting


def purge_once(settings: Settings | None = None) -> Purged:
    settings = settings or Settings.load()
    service = case_service()
    purged = Purged(
        closed_cases=service.purge_expired(remove_stored_file),
        inactive=service.purge_inactive(
            remove_stored_file, timedelta(days=settings.inactive_retention_days)
        ),
    )
    service.forget_old_lookups()
    purge_old_letters(settings, settings.inactive_retention_days)
    logger.info(
        "retention: erased %d conversations with a long-closed case and %d inactive ones",
        purged.closed_cases,
        purged.inactive,
    )
    return purged


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
    settings = Settings.load()
    purged = purge_once(settings)
    print(
        f"erased {purged.closed_cases} conversations whose case closed over 12 months ago and "
        f"{purged.inactive} without a case, inactive for over "
        f"{settings.inactive_retention_days} days"
    )


if __name__ == "__main__":
    main()
