"""Telegram conversations that began as `telegram:<chat id>`, read from Rasa's tracker store.

They keep their conversation id (see bot.notify.telegram.ids for why there is no migration):
the bridge reads them at start-up and records them in its chat map, so a chat whose legacy
conversation exists goes on in it, and every other chat gets a keyed id.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, select
from sqlalchemy.engine import make_url

from bot.db import make_engine
from bot.notify.telegram.ids import PREFIX, legacy_chat_id
from bot.transcripts.events import EVENTS


def legacy_chat_ids(tracker_db_url: str) -> list[int]:
    url = make_url(tracker_db_url)
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).exists()):
        return []  # no tracker database yet (and don't create one)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table(EVENTS.name):
                return []
            senders = connection.execute(
                select(EVENTS.c.sender_id).where(EVENTS.c.sender_id.like(f"{PREFIX}%")).distinct()
            ).scalars()
            return [chat for sender in senders if (chat := legacy_chat_id(sender)) is not None]
    finally:
        engine.dispose()
