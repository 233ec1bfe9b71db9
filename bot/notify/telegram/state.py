"""The bridge's own small state: processed update ids and button payloads.

Kept in a separate SQLite file under VAR_DIR (`telegram.db`), not in the case database: it holds
no patient data (update ids, and button payloads that Rasa's domain wrote), only the bridge
needs it (Telegram allows one consumer per bot token, so there is one bridge), and the
notifier that other processes on the same host use opens the same file. WAL mode and a busy
timeout (bot.db.make_engine) let them share it.
"""

from __future__ import annotations

import base64
import hashlib
import time
from pathlib import Path

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Float,
    MetaData,
    String,
    Table,
    Text,
    delete,
    select,
    update,
)
from sqlalchemy.dialects.sqlite import insert

from bot.db import make_engine

# Telegram keeps an undelivered update for 24 hours; a redelivery after that is impossible.
UPDATE_RETENTION_SECONDS = 3 * 24 * 3600
# Buttons in messages older than this say "expired" when pressed.
BUTTON_RETENTION_SECONDS = 180 * 24 * 3600
PRUNE_EVERY = 1000

metadata = MetaData()
processed_updates = Table(
    "processed_updates",
    metadata,
    # Update ids are only unique per bot: a new token starts counting again.
    Column("bot_id", BigInteger, primary_key=True),
    Column("update_id", BigInteger, primary_key=True),
    Column("at", Float, nullable=False, index=True),
)
button_payloads = Table(
    "button_payloads",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("payload", Text, nullable=False),
    Column("used_at", Float, nullable=False, index=True),
)


def payload_id(payload: str) -> str:
    """16 characters derived from the payload: the same button always gets the same id."""
    digest = hashlib.sha256(payload.encode()).digest()[:12]
    return base64.urlsafe_b64encode(digest).decode()


class BridgeState:
    def __init__(self, path: Path) -> None:
        self._engine: Engine = make_engine(f"sqlite:///{path}")
        metadata.create_all(self._engine)
        self._claims = 0

    @classmethod
    def in_var_dir(cls, var_dir: Path) -> BridgeState:
        return cls(var_dir / "telegram.db")

    def close(self) -> None:
        self._engine.dispose()

    def claim_update(self, bot_id: int, update_id: int, now: float | None = None) -> bool:
        """True the first time an update is seen; False for a redelivery."""
        at = time.time() if now is None else now
        statement = (
            insert(processed_updates)
            .values(bot_id=bot_id, update_id=update_id, at=at)
            .on_conflict_do_nothing()
        )
        with self._engine.begin() as connection:
            claimed = connection.execute(statement).rowcount == 1
        self._claims += 1
        if self._claims % PRUNE_EVERY == 0:
            self.prune(at)
        return claimed

    def button_id(self, payload: str, now: float | None = None) -> str:
        key = payload_id(payload)
        at = time.time() if now is None else now
        statement = insert(button_payloads).values(id=key, payload=payload, used_at=at)
        statement = statement.on_conflict_do_update(
            index_elements=[button_payloads.c.id], set_={"used_at": at}
        )
        with self._engine.begin() as connection:
            connection.execute(statement)
        return key

    def button_payload(self, key: str, now: float | None = None) -> str | None:
        with self._engine.begin() as connection:
            payload = connection.execute(
                select(button_payloads.c.payload).where(button_payloads.c.id == key)
            ).scalar_one_or_none()
            if payload is not None:
                connection.execute(
                    update(button_payloads)
                    .where(button_payloads.c.id == key)
                    .values(used_at=time.time() if now is None else now)
                )
        return payload

    def prune(self, now: float | None = None) -> None:
        at = time.time() if now is None else now
        with self._engine.begin() as connection:
            connection.execute(
                delete(processed_updates).where(
                    processed_updates.c.at < at - UPDATE_RETENTION_SECONDS
                )
            )
            connection.execute(
                delete(button_payloads).where(
                    button_payloads.c.used_at < at - BUTTON_RETENTION_SECONDS
                )
            )
