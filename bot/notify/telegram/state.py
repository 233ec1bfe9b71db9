"""The bridge's own small state: processed updates, prompts and buttons, and which conversation
each chat is. The bridge writes it; the notifier that the web app and the console use reads it
to find a conversation's chat and writes the buttons it sends, so the bridge understands them.

Where (`BridgeState.for_settings`): with a PostgreSQL DATABASE_URL, in that database's
`telegram_*` tables (migration 0010), so every host of a scaled-out installation shares it;
with the embedded SQLite default, in a SQLite file of its own, VAR_DIR/telegram.db, beside the
case database (the bridge's frequent small writes never wait for Rasa's), shared by the
processes of the one host through WAL mode and a busy timeout (bot.db.make_engine). When a
PostgreSQL installation still has a telegram.db from before, the bridge copies it in once at
start (`import_file`) and renames it telegram.db.imported. It holds chat ids (mapped to their
conversation ids, which hide them), button titles and payloads that Rasa's domain wrote, and
Telegram message ids; never what a patient wrote.

Prompts: every batch of the bot's messages in a chat (a turn's replies, a verdict) is a new
prompt and the chat's current one; its buttons carry random ids bound to it. A button of an
earlier prompt has passed, and a prompt accepts one press (`take_prompt`), so an old "Yes"
can never answer the question asked now.

Report photos: while the conversation's last answer asked for a report to compare (Rasa's
response carries `custom: {accepts: report_picture}`), a photo is read as that report instead of
getting the "photos aren't enough for a second read" explanation.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, delete, inspect, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.db import make_engine
from bot.notify.telegram.ids import keyed_conversation_id, legacy_chat_id, legacy_conversation_id
from bot.notify.telegram.tables import (
    FILE_METADATA,
    FILE_TABLES,
    SHARED_TABLES,
    BridgeTables,
)

logger = logging.getLogger(__name__)

# Telegram keeps an undelivered update for 24 hours; a redelivery after that is impossible.
UPDATE_RETENTION_SECONDS = 3 * 24 * 3600
# A button older than this says "expired" when pressed (a day covers "I'll answer tonight").
BUTTON_TTL_SECONDS = 24 * 3600
PRUNE_EVERY = 1000
FILE_NAME = "telegram.db"
IMPORTED_SUFFIX = ".imported"


@dataclass(frozen=True)
class StoredButton:
    id: str
    prompt_id: str
    chat_id: int
    title: str
    payload: str | None
    url: str | None


@dataclass(frozen=True)
class Prompt:
    prompt_id: str
    message_id: int | None


def new_id() -> str:
    """16 random characters: never derived from the payload, so equal payloads of different
    questions ("Yes" to "anything else?" and "Yes" to "delete everything?") never share one."""
    return secrets.token_urlsafe(12)


def uses_shared_database(database_url: str) -> bool:
    """Whether the bridge's state lives in the configured database (PostgreSQL) rather than in
    VAR_DIR/telegram.db (the embedded SQLite default)."""
    return make_url(database_url).get_backend_name() != "sqlite"


class BridgeState:
    def __init__(self, engine: Engine, tables: BridgeTables) -> None:
        self._engine = engine
        self._tables = tables
        self._insert: Callable[[Table], Any] = (
            postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        )
        self._claims = 0

    @classmethod
    def for_settings(cls, settings: Settings) -> BridgeState:
        """Where this installation keeps it: see the module docstring."""
        if uses_shared_database(settings.database):
            return cls.in_database(settings.database)
        return cls.in_var_dir(settings.var_dir)

    @classmethod
    def in_database(cls, database_url: str) -> BridgeState:
        """The `telegram_*` tables of a database migrated by bot.db (SQLite works too)."""
        return cls(make_engine(database_url), SHARED_TABLES)

    @classmethod
    def in_var_dir(cls, var_dir: Path) -> BridgeState:
        """VAR_DIR/telegram.db, created on first use."""
        engine = make_engine(f"sqlite:///{var_dir / FILE_NAME}")
        FILE_METADATA.create_all(engine)
        with engine.begin() as connection:
            # Payload-hash button ids of earlier versions: valid for 180 days and shared between
            # questions. Their buttons now answer "expired".
            connection.execute(text("DROP TABLE IF EXISTS button_payloads"))
        return cls(engine, FILE_TABLES)

    def import_file(self, var_dir: Path) -> int:
        """Copy VAR_DIR/telegram.db (from before the state moved to this database) in, once:
        rows already here win; the file is then renamed telegram.db.imported. Returns how many
        rows were new here (0 when there is no file)."""
        path = var_dir / FILE_NAME
        if self._tables is FILE_TABLES or not path.exists():
            return 0
        source = make_engine(f"sqlite:///{path}")
        added = 0
        try:
            names = set(inspect(source).get_table_names())
            with source.connect() as reading, self._engine.begin() as writing:
                for old, new in zip(_each(FILE_TABLES), _each(self._tables), strict=True):
                    if old.name not in names:
                        continue
                    rows = [dict(row._mapping) for row in reading.execute(select(old))]
                    if rows:
                        key = next(iter(new.primary_key.columns))
                        statement = self._insert(new).on_conflict_do_nothing().returning(key)
                        added += len(writing.execute(statement, rows).all())
        finally:
            source.dispose()  # checkpoints the WAL into the file
        for leftover in (f"{path}-wal", f"{path}-shm"):
            Path(leftover).unlink(missing_ok=True)
        path.rename(path.with_name(FILE_NAME + IMPORTED_SUFFIX))
        logger.info(
            "%s copied into the database (%d new rows), renamed %s",
            FILE_NAME,
            added,
            FILE_NAME + IMPORTED_SUFFIX,
        )
        return added

    def close(self) -> None:
        self._engine.dispose()

    # -- updates -------------------------------------------------------------------------------

    def claim_update(self, bot_id: int, update_id: int, now: float | None = None) -> bool:
        """True the first time an update is seen; False for a redelivery."""
        at = time.time() if now is None else now
        claimed = self._claim(self._tables.processed_updates, bot_id, update_id, at)
        self._claims += 1
        if self._claims % PRUNE_EVERY == 0:
            self.prune(at)
        return claimed

    def claim_red_flag(self, bot_id: int, update_id: int, now: float | None = None) -> bool:
        """True the first time emergency guidance is due for an update."""
        return self._claim(
            self._tables.red_flag_answers, bot_id, update_id, time.time() if now is None else now
        )

    def _claim(self, table: Table, bot_id: int, update_id: int, at: float) -> bool:
        # RETURNING, not rowcount: drivers need not count the rows of an INSERT (psycopg's -1).
        statement = (
            self._insert(table)
            .values(bot_id=bot_id, update_id=update_id, at=at)
            .on_conflict_do_nothing()
            .returning(table.c.update_id)
        )
        with self._engine.begin() as connection:
            return connection.execute(statement).first() is not None

    # -- chats and conversations ---------------------------------------------------------------

    def conversation_for(self, chat_id: int, secret_key: str, now: float | None = None) -> str:
        """The chat's conversation id: the one recorded, else a new keyed one (recorded, so a
        later change of the secret key does not split the conversation)."""
        with self._engine.begin() as connection:
            known = connection.execute(
                select(self._tables.chats.c.conversation_id).where(
                    self._tables.chats.c.chat_id == chat_id
                )
            ).scalar_one_or_none()
            if known is not None:
                return str(known)
            conversation_id = keyed_conversation_id(chat_id, secret_key)
            connection.execute(
                self._insert(self._tables.chats)
                .values(chat_id=chat_id, conversation_id=conversation_id, at=_now(now))
                .on_conflict_do_nothing()
            )
        return conversation_id

    def adopt_legacy(self, chat_ids: list[int], now: float | None = None) -> int:
        """Chats whose conversation began as `telegram:<chat id>` keep it; returns how many
        were new here. A chat that already has a conversation keeps that one."""
        if not chat_ids:
            return 0
        rows = [
            {"chat_id": c, "conversation_id": legacy_conversation_id(c), "at": _now(now)}
            for c in chat_ids
        ]
        chats = self._tables.chats
        statement = self._insert(chats).on_conflict_do_nothing().returning(chats.c.chat_id)
        with self._engine.begin() as connection:
            return len(connection.execute(statement, rows).all())

    def chat_of(self, conversation_id: str) -> int | None:
        """The chat of a Telegram conversation id, or None when it is not one of ours."""
        with self._engine.begin() as connection:
            chat_id = connection.execute(
                select(self._tables.chats.c.chat_id).where(
                    self._tables.chats.c.conversation_id == conversation_id
                )
            ).scalar_one_or_none()
        if chat_id is not None:
            return int(chat_id)
        # A legacy conversation the bridge has not seen since the mapping exists.
        return legacy_chat_id(conversation_id)

    # -- prompts and buttons -------------------------------------------------------------------

    def open_prompt(self, chat_id: int, now: float | None = None) -> str:
        """A new current prompt for the chat: every earlier button of the chat has passed."""
        prompt_id = new_id()
        self._set_prompt(chat_id, prompt_id, None, _now(now))
        return prompt_id

    def anchor_prompt(self, chat_id: int, prompt_id: str, message_id: int) -> None:
        """The message that shows the prompt (if it is still the chat's current one)."""
        with self._engine.begin() as connection:
            connection.execute(
                update(self._tables.prompts)
                .where(
                    self._tables.prompts.c.chat_id == chat_id,
                    self._tables.prompts.c.prompt_id == prompt_id,
                )
                .values(message_id=message_id)
            )

    def _set_prompt(self, chat_id: int, prompt_id: str, message_id: int | None, at: float) -> None:
        values = {"prompt_id": prompt_id, "message_id": message_id, "at": at}
        statement = self._insert(self._tables.prompts).values(chat_id=chat_id, **values)
        statement = statement.on_conflict_do_update(
            index_elements=[self._tables.prompts.c.chat_id], set_=values
        )
        with self._engine.begin() as connection:
            connection.execute(statement)

    def current_prompt(self, chat_id: int) -> Prompt | None:
        with self._engine.begin() as connection:
            row = connection.execute(
                select(self._tables.prompts.c.prompt_id, self._tables.prompts.c.message_id).where(
                    self._tables.prompts.c.chat_id == chat_id,
                    self._tables.prompts.c.prompt_id.is_not(None),
                )
            ).one_or_none()
        return Prompt(str(row.prompt_id), row.message_id) if row else None

    def take_prompt(self, chat_id: int, prompt_id: str) -> bool:
        """True once for the chat's current prompt (its answer); False when it has passed."""
        with self._engine.begin() as connection:
            result = connection.execute(
                update(self._tables.prompts)
                .where(
                    self._tables.prompts.c.chat_id == chat_id,
                    self._tables.prompts.c.prompt_id == prompt_id,
                )
                .values(prompt_id=None, message_id=None)
            )
        return bool(result.rowcount == 1)

    def add_button(
        self,
        chat_id: int,
        prompt_id: str,
        position: int,
        title: str,
        payload: str | None = None,
        url: str | None = None,
        now: float | None = None,
    ) -> str:
        key = new_id()
        with self._engine.begin() as connection:
            connection.execute(
                self._insert(self._tables.buttons).values(
                    id=key,
                    prompt_id=prompt_id,
                    chat_id=chat_id,
                    position=position,
                    title=title,
                    payload=payload,
                    url=url,
                    created_at=_now(now),
                )
            )
        return key

    def button(self, key: str, now: float | None = None) -> StoredButton | None:
        """A button pressed; None when unknown or older than BUTTON_TTL_SECONDS."""
        with self._engine.begin() as connection:
            row = connection.execute(
                select(self._tables.buttons).where(
                    self._tables.buttons.c.id == key,
                    self._tables.buttons.c.created_at >= _now(now) - BUTTON_TTL_SECONDS,
                )
            ).one_or_none()
        return _stored(row) if row else None

    def prompt_buttons(self, prompt_id: str) -> list[StoredButton]:
        with self._engine.begin() as connection:
            rows = connection.execute(
                select(self._tables.buttons)
                .where(self._tables.buttons.c.prompt_id == prompt_id)
                .order_by(self._tables.buttons.c.position)
            ).all()
        return [_stored(row) for row in rows]

    # -- what a photo is -----------------------------------------------------------------------

    def want_report_photo(self, chat_id: int, wanted: bool, now: float | None = None) -> None:
        """Recorded after each answer of the conversation: whether it asked for a report."""
        with self._engine.begin() as connection:
            if wanted:
                statement = self._insert(self._tables.report_photo_wanted).values(
                    chat_id=chat_id, at=_now(now)
                )
                connection.execute(
                    statement.on_conflict_do_update(
                        index_elements=[self._tables.report_photo_wanted.c.chat_id],
                        set_={"at": _now(now)},
                    )
                )
            else:
                connection.execute(
                    delete(self._tables.report_photo_wanted).where(
                        self._tables.report_photo_wanted.c.chat_id == chat_id
                    )
                )

    def wants_report_photo(self, chat_id: int) -> bool:
        with self._engine.begin() as connection:
            found = connection.execute(
                select(self._tables.report_photo_wanted.c.chat_id).where(
                    self._tables.report_photo_wanted.c.chat_id == chat_id
                )
            ).first()
        return found is not None

    def prune(self, now: float | None = None) -> None:
        at = _now(now)
        with self._engine.begin() as connection:
            for table in (self._tables.processed_updates, self._tables.red_flag_answers):
                connection.execute(delete(table).where(table.c.at < at - UPDATE_RETENTION_SECONDS))
            expired = self._tables.buttons.c.created_at < at - BUTTON_TTL_SECONDS
            connection.execute(delete(self._tables.buttons).where(expired))


def _each(tables: BridgeTables) -> list[Table]:
    return [getattr(tables, f.name) for f in fields(tables)]


def _now(now: float | None) -> float:
    return time.time() if now is None else now


def _stored(row: object) -> StoredButton:
    return StoredButton(
        id=str(row.id),  # type: ignore[attr-defined]
        prompt_id=str(row.prompt_id),  # type: ignore[attr-defined]
        chat_id=int(row.chat_id),  # type: ignore[attr-defined]
        title=str(row.title),  # type: ignore[attr-defined]
        payload=row.payload,  # type: ignore[attr-defined]
        url=row.url,  # type: ignore[attr-defined]
    )
