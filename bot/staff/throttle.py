"""Login throttling: 5 failures lock an account name, or a client address, for 15 minutes.

Counted per account name whether or not the account exists, so the lock reveals nothing.
Failures older than the window are forgotten; a successful login clears the account's count
(not the address's: one valid account must not reset a guessing run from that address).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, or_, select
from sqlalchemy.orm import Session

from bot.staff.models import LoginThrottle

MAX_FAILURES = 5
LOCK_DURATION = timedelta(minutes=15)
WINDOW = timedelta(minutes=15)


def locked_until(session: Session, keys: dict[str, str], now: datetime) -> datetime | None:
    """The latest lock still in force over any of `keys` ({scope: key}), if any."""
    rows = session.scalars(select(LoginThrottle).where(_any_of(keys)))
    active = [r.locked_until for r in rows if r.locked_until is not None and r.locked_until > now]
    return max(active, default=None)


def record_failure(session: Session, keys: dict[str, str], now: datetime) -> bool:
    """Count one failure for every key; True when this failure locked one of them."""
    locked = False
    for scope, key in keys.items():
        row = session.scalar(
            select(LoginThrottle).where(LoginThrottle.scope == scope, LoginThrottle.key == key)
        )
        if row is None:
            row = LoginThrottle(scope=scope, key=key, failures=0, window_started_at=now)
            session.add(row)
        expired_lock = row.locked_until is not None and row.locked_until <= now
        if expired_lock or now - row.window_started_at > WINDOW:
            row.failures, row.window_started_at, row.locked_until = 0, now, None
        row.failures += 1
        if row.failures >= MAX_FAILURES and row.locked_until is None:
            row.locked_until = now + LOCK_DURATION
            locked = True
    return locked


def clear(session: Session, scope: str, key: str) -> None:
    session.execute(
        delete(LoginThrottle).where(LoginThrottle.scope == scope, LoginThrottle.key == key)
    )


def _any_of(keys: dict[str, str]) -> ColumnElement[bool]:
    return or_(*(and_(LoginThrottle.scope == s, LoginThrottle.key == k) for s, k in keys.items()))
