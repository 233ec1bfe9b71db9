"""How many status questions may be asked, by whom, about which case number.

Three limits, each over a rolling hour:

- per conversation: 5 questions (any answer but a mistyped number);
- per case number: 3 wrong dates of birth (or an unknown number), whoever asks, so a new
  conversation or sender id gets no new guesses; after that the number is locked for everyone,
  even with the right date, until the oldest counted failure leaves the hour;
- per client address, where the channel knows it: 10 wrong answers, whatever the number.

Unknown numbers are counted and locked exactly like real ones, so a lock says nothing about
whether a case exists.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select, text
from sqlalchemy.orm import Session

from bot.cases.models import StatusLookupAttempt, StatusLookupFailure

STATUS_LOOKUP_LIMIT = 5
CASE_NUMBER_FAILURE_LIMIT = 3
CLIENT_FAILURE_LIMIT = 10
STATUS_LOOKUP_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class LookupLock:
    """What the console shows on a case page: wrong answers in the last hour, and until when
    the number is locked (None when it is not)."""

    recent_failures: int
    locked_until: datetime | None


def serialize_number(session: Session, number: str) -> None:
    """Concurrent questions about one number take turns, so the limit cannot be overshot.
    PostgreSQL: a transaction-scoped advisory lock. SQLite: the caller's first statement is a
    write (the clean-up), which already serializes writers."""
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(number.encode()).digest()[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def forget_old(session: Session, conversation_id: str, now: datetime) -> None:
    """Attempts and failures older than the window no longer count; dropping them (all of
    them, not only this number's) keeps both tables small."""
    window_start = now - STATUS_LOOKUP_WINDOW
    session.execute(
        delete(StatusLookupAttempt).where(
            StatusLookupAttempt.conversation_id == conversation_id,
            StatusLookupAttempt.at <= window_start,
        )
    )
    session.execute(delete(StatusLookupFailure).where(StatusLookupFailure.at <= window_start))


def forget_all_old(session: Session, now: datetime) -> int:
    """Every attempt and failure older than the window, whichever conversation or number
    (the daily retention run); returns how many rows went."""
    window_start = now - STATUS_LOOKUP_WINDOW
    removed = 0
    for model in (StatusLookupAttempt, StatusLookupFailure):
        result = session.execute(delete(model).where(model.at <= window_start))
        removed += cast(CursorResult[Any], result).rowcount
    return removed


def conversation_attempts(session: Session, conversation_id: str, now: datetime) -> int:
    query = select(func.count()).where(
        StatusLookupAttempt.conversation_id == conversation_id,
        StatusLookupAttempt.at > now - STATUS_LOOKUP_WINDOW,
    )
    return session.scalar(query) or 0


def client_failures(session: Session, client_ref: str | None, now: datetime) -> int:
    if client_ref is None:
        return 0
    query = select(func.count()).where(
        StatusLookupFailure.client_ref == client_ref,
        StatusLookupFailure.at > now - STATUS_LOOKUP_WINDOW,
    )
    return session.scalar(query) or 0


def number_failure_times(session: Session, number: str, now: datetime) -> list[datetime]:
    return list(
        session.scalars(
            select(StatusLookupFailure.at)
            .where(
                StatusLookupFailure.case_number == number,
                StatusLookupFailure.at > now - STATUS_LOOKUP_WINDOW,
            )
            .order_by(StatusLookupFailure.at)
        )
    )


def lock_of(session: Session, number: str, now: datetime) -> LookupLock:
    times = number_failure_times(session, number, now)
    if len(times) < CASE_NUMBER_FAILURE_LIMIT:
        return LookupLock(len(times), None)
    # Locked until enough failures have left the window to bring the count under the limit.
    return LookupLock(len(times), times[-CASE_NUMBER_FAILURE_LIMIT] + STATUS_LOOKUP_WINDOW)
