"""The Telegram bridge's tables, in two places (bot/notify/telegram/state.py says which):

- `FILE_TABLES`: VAR_DIR/telegram.db, a SQLite file of the bridge's own, created on first use;
  the embedded default, next to the SQLite case database.
- `SHARED_TABLES`: the `telegram_*` tables of the configured database (DATABASE_URL), created
  by migration 0010 and registered on the cases' metadata; used when that database is
  PostgreSQL, so any host of a scaled-out installation sees the same chats and buttons.

The columns are the same in both; none holds what a patient wrote.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BigInteger, Column, Float, Integer, MetaData, String, Table, Text

from bot.cases.models import Base


@dataclass(frozen=True)
class BridgeTables:
    processed_updates: Table
    red_flag_answers: Table
    chats: Table
    prompts: Table
    buttons: Table
    report_photo_wanted: Table


def bridge_tables(metadata: MetaData, prefix: str = "") -> BridgeTables:
    return BridgeTables(
        processed_updates=Table(
            f"{prefix}processed_updates",
            metadata,
            # Update ids are only unique per bot: a new token starts counting again.
            Column("bot_id", BigInteger, primary_key=True),
            Column("update_id", BigInteger, primary_key=True),
            Column("at", Float, nullable=False, index=True),
        ),
        # Updates whose emergency guidance went out (before, and apart from, their handling).
        red_flag_answers=Table(
            f"{prefix}red_flag_answers",
            metadata,
            Column("bot_id", BigInteger, primary_key=True),
            Column("update_id", BigInteger, primary_key=True),
            Column("at", Float, nullable=False, index=True),
        ),
        chats=Table(
            f"{prefix}chats",
            metadata,
            Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
            Column("conversation_id", String(64), nullable=False, unique=True),
            Column("at", Float, nullable=False),
        ),
        prompts=Table(
            f"{prefix}prompts",
            metadata,
            Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
            # NULL once answered: nothing is open until the bot speaks again.
            Column("prompt_id", String(24)),
            # The message to show again when an old button is pressed (the one with the keyboard).
            Column("message_id", BigInteger),
            Column("at", Float, nullable=False),
        ),
        buttons=Table(
            f"{prefix}buttons",
            metadata,
            Column("id", String(24), primary_key=True),
            Column("prompt_id", String(24), nullable=False, index=True),
            Column("chat_id", BigInteger, nullable=False),
            Column("position", Integer, nullable=False),
            Column("title", Text, nullable=False),
            Column("payload", Text),
            Column("url", Text),
            Column("created_at", Float, nullable=False, index=True),
        ),
        # Chats whose last answer asked for a report, which a photo of the printed page may be.
        report_photo_wanted=Table(
            f"{prefix}report_photo_wanted",
            metadata,
            Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
            Column("at", Float, nullable=False),
        ),
    )


FILE_METADATA = MetaData()
FILE_TABLES = bridge_tables(FILE_METADATA)
SHARED_TABLES = bridge_tables(Base.metadata, "telegram_")
