"""The patient's presence while a person answers: here, typing, or gone.

The widget reports it only while a support person has taken over the chat (so nobody is
watched while the bot answers); the console's live transcript shows it to the agent. A
"typing" report is fresh for TYPING_FRESH_SECONDS: a patient who stops typing without sending
stops showing as typing by itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.cases.service import utc_now
from bot.db import storage_errors
from bot.staff.models import ConversationPresence

TYPING_FRESH_SECONDS = 6


class PresenceState(StrEnum):
    HERE = "here"
    TYPING = "typing"
    LEFT = "left"


@dataclass(frozen=True)
class PresenceView:
    state: PresenceState
    at: datetime

    @property
    def words(self) -> str:
        """What the agent reads."""
        if self.state is PresenceState.TYPING:
            return "The patient is typing…"
        if self.state is PresenceState.LEFT:
            return f"The patient closed or left the chat page at {self.at:%H:%M} UTC."
        return "The patient has the chat open."


class Presence:
    def __init__(
        self, sessions: sessionmaker[Session], clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._sessions = sessions
        self._clock = clock

    def report(self, conversation_id: str, state: PresenceState) -> None:
        with storage_errors("presence.report"), self._sessions.begin() as session:
            row = session.get(ConversationPresence, conversation_id)
            if row is None:
                session.add(ConversationPresence(conversation_id=conversation_id,
                                                 state=state.value, at=self._clock()))
            else:
                row.state, row.at = state.value, self._clock()

    def of(self, conversation_id: str) -> PresenceView | None:
        with storage_errors("presence.of"), self._sessions() as session:
            row = session.scalar(
                select(ConversationPresence).where(
                    ConversationPresence.conversation_id == conversation_id
                )
            )
        if row is None:
            return None
        state = PresenceState(row.state)
        stale = self._clock() - row.at > timedelta(seconds=TYPING_FRESH_SECONDS)
        if state is PresenceState.TYPING and stale:
            state = PresenceState.HERE
        return PresenceView(state, row.at)

