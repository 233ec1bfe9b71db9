"""The bridge's own small state in VAR_DIR/telegram.db: processed updates, prompts and buttons,
and which conversation each chat is.

Kept in a separate SQLite file, not in the case database: only the Telegram side needs it
(Telegram allows one consumer per bot token, so there is one bridge), and the notifier that the
web app and the console use opens the same file to find a conversation's chat and to send
buttons the bridge will understand. WAL mode and a busy timeout (bot.db.make_engine) let them
share it. It holds chat ids (mapped to their conversation ids, which hide them), button titles
and payloads that Rasa's domain wrote, and Telegram message ids; never what a patient wrote.

Prompts: every batch of the bot's messages in a chat (a turn's replies, a verdict) is a new
prompt and the chat's current one; its buttons carry random ids bound to it. A button of an
earlier prompt has passed, and a prompt accepts one press (`take_prompt`), so an old "Yes"
can never answer the question asked now.

Report photos: while the conversation's last answer asked for a report to compare (Rasa's
response carries `custom: {accepts: report_picture}`), a photo is read as that report instead of
getting the "photos aren't enough for a second read" explanation.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    select,
    text,
    update,
)
from sqlalchemy.dialects.sqlite import insert

from bot.db import make_engine
from bot.notify.telegram.ids import keyed_conversation_id, legacy_chat_id, legacy_conversation_id

# Telegram keeps an undelivered update for 24 hours; a redelivery after that is impossible.
UPDATE_RETENTION_SECONDS = 3 * 24 * 3600
# A button older than this says "expired" when pressed (a day covers "I'll answer tonight").
BUTTON_TTL_SECONDS = 24 * 3600
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
# Updates whose emergency guidance went out (before, and apart from, their normal handling).
red_flag_answers = Table(
    "red_flag_answers",
    metadata,
    Column("bot_id", BigInteger, primary_key=True),
    Column("update_id", BigInteger, primary_key=True),
    Column("at", Float, nullable=False, index=True),
)
chats = Table(
    "chats",
    metadata,
    Column("chat_id", BigInteger, primary_key=True),
    Column("conversation_id", String(64), nullable=False, unique=True),
    Column("at", Float, nullable=False),
)
prompts = Table(
    "prompts",
    metadata,
    Column("chat_id", BigInteger, primary_key=True),
    # NULL once answered: nothing is open until the bot speaks again.
    Column("prompt_id", String(24)),
    # The message to show again when an old button is pressed (the one with the keyboard).
    Column("message_id", BigInteger),
    Column("at", Float, nullable=False),
)
buttons = Table(
    "buttons",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("prompt_id", String(24), nullable=False, index=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("position", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("payload", Text),
    Column("url", Text),
    Column("created_at", Float, nullable=False, index=True),
)

# Chats whose last answer asked for a report, which a photo of the printed page may be.
report_photo_wanted = Table(
    "report_photo_wanted",
    metadata,
    Column("chat_id", BigInteger, primary_key=True),
    Column("at", Float, nullable=False),
)


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


class BridgeState:
    def __init__(self, path: Path) -> None:
        self._engine: Engine = make_engine(f"sqlite:///{path}")
        metadata.create_all(self._engine)
        with self._engine.begin() as connection:
            # Payload-hash button ids of earlier versions: valid for 180 days and shared between
            # questions. Their buttons now answer "expired".
            connection.execute(text("DROP TABLE IF EXISTS button_payloads"))
        self._claims = 0

    @classmethod
    def in_var_dir(cls, var_dir: Path) -> BridgeState:
        return cls(var_dir / "telegram.db")

    def close(self) -> None:
        self._engine.dispose()

    # -- updates -------------------------------------------------------------------------------

    def claim_update(self, bot_id: int, update_id: int, now: float | None = None) -> bool:
        """True the first time an update is seen; False for a redelivery."""
        at = time.time() if now is None else now
        claimed = self._claim(processed_updates, bot_id, update_id, at)
        self._claims += 1
        if self._claims % PRUNE_EVERY == 0:
            self.prune(at)
        return claimed

    def claim_red_flag(self, bot_id: int, update_id: int, now: float | None = None) -> bool:
        """True the first time emergency guidance is due for an update."""
        return self._claim(red_flag_answers, bot_id, update_id, time.time() if now is None else now)

    def _claim(self, table: Table, bot_id: int, update_id: int, at: float) -> bool:
        statement = (
            insert(table).values(bot_id=bot_id, update_id=update_id, at=at).on_conflict_do_nothing()
        )
        with self._engine.begin() as connection:
            return bool(connection.execute(statement).rowcount == 1)

    # -- chats and conversations ---------------------------------------------------------------

    def conversation_for(self, chat_id: int, secret_key: str, now: float | None = None) -> str:
        """The chat's conversation id: the one recorded, else a new keyed one (recorded, so a
        later change of the secret key does not split the conversation)."""
        with self._engine.begin() as connection:
            known = connection.execute(
                select(chats.c.conversation_id).where(chats.c.chat_id == chat_id)
            ).scalar_one_or_none()
            if known is not None:
                return str(known)
            conversation_id = keyed_conversation_id(chat_id, secret_key)
            connection.execute(
                insert(chats)
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
        with self._engine.begin() as connection:
            result = connection.execute(insert(chats).on_conflict_do_nothing(), rows)
        return int(result.rowcount or 0)

    def chat_of(self, conversation_id: str) -> int | None:
        """The chat of a Telegram conversation id, or None when it is not one of ours."""
        with self._engine.begin() as connection:
            chat_id = connection.execute(
                select(chats.c.chat_id).where(chats.c.conversation_id == conversation_id)
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
                update(prompts)
                .where(prompts.c.chat_id == chat_id, prompts.c.prompt_id == prompt_id)
                .values(message_id=message_id)
            )

    def _set_prompt(self, chat_id: int, prompt_id: str, message_id: int | None, at: float) -> None:
        values = {"prompt_id": prompt_id, "message_id": message_id, "at": at}
        statement = insert(prompts).values(chat_id=chat_id, **values)
        statement = statement.on_conflict_do_update(index_elements=[prompts.c.chat_id], set_=values)
        with self._engine.begin() as connection:
            connection.execute(statement)

    def current_prompt(self, chat_id: int) -> Prompt | None:
        with self._engine.begin() as connection:
            row = connection.execute(
                select(prompts.c.prompt_id, prompts.c.message_id).where(
                    prompts.c.chat_id == chat_id, prompts.c.prompt_id.is_not(None)
                )
            ).one_or_none()
        return Prompt(str(row.prompt_id), row.message_id) if row else None

    def take_prompt(self, chat_id: int, prompt_id: str) -> bool:
        """True once for the chat's current prompt (its answer); False when it has passed."""
        with self._engine.begin() as connection:
            result = connection.execute(
                update(prompts)
                .where(prompts.c.chat_id == chat_id, prompts.c.prompt_id == prompt_id)
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
                insert(buttons).values(
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
                select(buttons).where(
                    buttons.c.id == key, buttons.c.created_at >= _now(now) - BUTTON_TTL_SECONDS
                )
            ).one_or_none()
        return _stored(row) if row else None

    def prompt_buttons(self, prompt_id: str) -> list[StoredButton]:
        with self._engine.begin() as connection:
            rows = connection.execute(
                select(buttons).where(buttons.c.prompt_id == prompt_id).order_by(buttons.c.position)
            ).all()
        return [_stored(row) for row in rows]

    # -- what a photo is -----------------------------------------------------------------------

    def want_report_photo(self, chat_id: int, wanted: bool, now: float | None = None) -> None:
        """Recorded after each answer of the conversation: whether it asked for a report."""
        with self._engine.begin() as connection:
            if wanted:
                statement = insert(report_photo_wanted).values(chat_id=chat_id, at=_now(now))
                connection.execute(
                    statement.on_conflict_do_update(
                        index_elements=[report_photo_wanted.c.chat_id], set_={"at": _now(now)}
                    )
                )
            else:
                connection.execute(
                    delete(report_photo_wanted).where(report_photo_wanted.c.chat_id == chat_id)
                )

    def wants_report_photo(self, chat_id: int) -> bool:
        with self._engine.begin() as connection:
            found = connection.execute(
                select(report_photo_wanted.c.chat_id).where(
                    report_photo_wanted.c.chat_id == chat_id
                )
            ).first()
        return found is not None

    def prune(self, now: float | None = None) -> None:
        at = _now(now)
        with self._engine.begin() as connection:
            for table in (processed_updates, red_flag_answers):
                connection.execute(delete(table).where(table.c.at < at - UPDATE_RETENTION_SECONDS))
            expired = buttons.c.created_at < at - BUTTON_TTL_SECONDS
            connection.execute(delete(buttons).where(expired))


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
