"""Staff accounts: created and changed from the command line (`bot-admin`), never by default."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.cases.models import AuditEntry
from bot.cases.service import utc_now
from bot.staff import audit
from bot.staff.models import StaffSession, StaffUser
from bot.staff.passwords import hash_password
from bot.staff.records import (
    AccountExists,
    AccountNotFound,
    Principal,
    Role,
    StaffAccount,
    StaffOverview,
)

# Session limits, enforced by bot.staff.auth (defined here because auth imports this module).
IDLE_TIMEOUT = timedelta(minutes=15)
ABSOLUTE_TIMEOUT = timedelta(hours=8)
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
CLI_ACTOR = "cli"


def normalize_username(username: str) -> str:
    return username.strip().lower()


def account_of(user: StaffUser) -> StaffAccount:
    return StaffAccount(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        active=user.active,
        created_at=user.created_at,
    )


class Accounts:
    def __init__(
        self, sessions: sessionmaker[Session], clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._sessions = sessions
        self._clock = clock

    def create(
        self, username: str, role: Role, password: str, display_name: str | None = None
    ) -> StaffAccount:
        name = normalize_username(username)
        if not USERNAME.fullmatch(name):
            raise ValueError("usernames are 2-64 of a-z, 0-9, '.', '_' and '-'")
        password_hash = hash_password(password)  # raises WeakPassword first
        now = self._clock()
        user = StaffUser(
            username=name,
            display_name=(display_name or name).strip()[:100],
            role=role.value,
            password_hash=password_hash,
            active=True,
            created_at=now,
            password_changed_at=now,
        )
        try:
            with self._sessions.begin() as session:
                session.add(user)
                session.flush()
                session.add(
                    audit.entry(now, CLI_ACTOR, "staff.created", "staff", name, ip="local",
                                details={"role": role.value})
                )
        except IntegrityError as error:
            raise AccountExists(name) from error
        return account_of(user)

    def set_password(self, username: str, password: str) -> None:
        """Also ends every session of the account."""
        password_hash = hash_password(password)
        now = self._clock()
        with self._sessions.begin() as session:
            user = self._user(session, username)
            user.password_hash = password_hash
            user.password_changed_at = now
            _end_sessions(session, user.id, now)
            session.add(audit.entry(now, CLI_ACTOR, "staff.password_set", "staff",
                                    user.username, ip="local"))

    def set_active(
        self, username: str, active: bool, admin: Principal | None = None
    ) -> None:
        """Disabling also ends the account's sessions. `admin`: who did it in the console
        (None: the command line)."""
        now = self._clock()
        with self._sessions.begin() as session:
            user = self._user(session, username)
            user.active = active
            if not active:
                _end_sessions(session, user.id, now)
            action = "staff.enabled" if active else "staff.disabled"
            session.add(_entry(admin, now, action, user.username))

    def end_sessions(self, username: str, admin: Principal) -> int:
        now = self._clock()
        with self._sessions.begin() as session:
            user = self._user(session, username)
            ended = _end_sessions(session, user.id, now)
            session.add(_entry(admin, now, "staff.sessions_ended", user.username, {"count": ended}))
        return ended

    def overview(self) -> list[StaffOverview]:
        """Every account with its last sign-in and how many sessions are live now."""
        now = self._clock()
        live = and_(
            StaffSession.ended_at.is_(None),
            StaffSession.last_seen_at > now - IDLE_TIMEOUT,
            StaffSession.created_at > now - ABSOLUTE_TIMEOUT,
        )
        with self._sessions() as session:
            rows = session.execute(
                select(
                    StaffUser,
                    func.max(StaffSession.created_at),
                    func.count(StaffSession.id).filter(live),
                )
                .outerjoin(StaffSession, StaffSession.user_id == StaffUser.id)
                .group_by(StaffUser.id)
                .order_by(StaffUser.username)
            ).all()
            return [
                StaffOverview(account_of(user), _aware(last), int(count or 0))
                for user, last, count in rows
            ]

    def list(self) -> list[StaffAccount]:
        with self._sessions() as session:
            return [account_of(u) for u in session.scalars(select(StaffUser).order_by("username"))]

    def _user(self, session: Session, username: str) -> StaffUser:
        name = normalize_username(username)
        user = session.scalar(select(StaffUser).where(StaffUser.username == name))
        if user is None:
            raise AccountNotFound(name)
        return user


def _end_sessions(session: Session, user_id: int, now: datetime) -> int:
    result = session.execute(
        update(StaffSession)
        .where(StaffSession.user_id == user_id, StaffSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _entry(
    admin: Principal | None, now: datetime, action: str, username: str,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    if admin is None:  # the command line
        return audit.entry(now, CLI_ACTOR, action, "staff", username, ip="local", details=details)
    return audit.staff_entry(admin, now, action, "staff", username, details)


def _aware(value: datetime | None) -> datetime | None:
    """Aggregates bypass the column type on SQLite: restore the UTC zone."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)
