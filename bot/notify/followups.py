"""Sending the records request's follow-ups when they are due (day 10, day 30).

The web app runs `follow_ups_forever`; each round asks the database what is due, so nothing is
lost when the process restarts and a follow-up that could not be delivered (Rasa down) is
simply due again next round. Each follow-up is triggered through Rasa (the conversation runs
action_records_follow_up as if the patient had asked), so it is in the conversation's history:
socket.io pushes it to an open widget, and the widget shows it on the patient's next visit
(when they asked to be reminded on that device, bot/web/sessions_api.py keeps the chat for them);
Telegram conversations get it as a message in their chat.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from bot.db import StorageUnavailable
from bot.letters.requests import RecordsRequests
from bot.notify.rasa import RasaNotifier
from bot.notify.telegram import is_telegram

logger = logging.getLogger(__name__)

Deliver = Callable[[str, Sequence[Mapping[str, Any]]], Awaitable[None]]
ROUND_SECONDS = 15 * 60


async def send_due_follow_ups(
    requests: RecordsRequests, rasa: RasaNotifier, deliver_telegram: Deliver | None
) -> int:
    """One round; returns how many follow-ups were sent."""
    if not rasa.online:
        return 0
    due = await asyncio.to_thread(requests.due)
    sent = 0
    for follow_up in due:
        # Claimed before it is sent, so two web-app nodes never send the same one.
        if not await asyncio.to_thread(requests.mark_sent, follow_up):
            continue
        messages = await rasa.records_follow_up(follow_up.conversation_id, follow_up.step)
        if messages is None:  # Rasa unreachable: due again next round
            await asyncio.to_thread(requests.release, follow_up)
            continue
        if deliver_telegram and is_telegram(follow_up.conversation_id) and messages:
            await deliver_telegram(follow_up.conversation_id, messages)
        sent += 1
    if sent:
        logger.info("records requests: %d follow-up(s) sent", sent)
    return sent


async def follow_ups_forever(
    requests: Callable[[], RecordsRequests],
    rasa: RasaNotifier,
    deliver_telegram: Deliver | None,
    interval: float = ROUND_SECONDS,
    first_delay: float = 30.0,
) -> None:
    """Runs until cancelled; a database outage only postpones the round."""
    await asyncio.sleep(first_delay)
    while True:
        try:
            await send_due_follow_ups(requests(), rasa, deliver_telegram)
        except StorageUnavailable:
            logger.warning("records requests: database unavailable, trying again later")
        await asyncio.sleep(interval)
