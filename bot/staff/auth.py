"""Signing in and out, and the server-side sessions behind the console's cookie.

The cookie carries a random token; the database keeps only its SHA-256. A session ends after
15 minutes without a request, 8 hours after sign-in, at logout, when the password changes or
the account is disabled. Every sign-in creates a new session (no fixation).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from bot.cases.service import utc_now
from bot.staff import audit, throttle
from bot.staff.accounts import ABSOLUTE_TIMEOUT, IDLE_TIMEOUT, account_of, normalize_username
from bot.staff.models import StaffSession, StaffUser
from bot.staff.passwords import hash_password, needs_rehash, verify_password
from bot.staff.records import LoginOutcome, LoginResult, Principal, SessionEnd

# Ended and expired sessions are kept this long (for the audit's session refs), then dropped.
SESSION_RETENTION = timedelta(days=30)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Authenticator:
    def __init__(
        self, sessions: sessionmaker[Session], clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._sessions = sessions
        self._clock = clock

    def login(self, username: str, password: str, ip: str) -> LoginResult:
        name = normalize_username(username)[:128]
        keys = {"account": name, "ip": ip}
        now = self._clock()
        with self._sessions.begin() as session:
            if throttle.locked_until(session, keys, now):
                # No password check while locked: a correct guess must not be told apart.
                session.add(audit.entry(now, _actor(session, name), "staff.login_refused",
                                        "staff", None, ip=ip))
                return LoginResult(LoginOutcome.LOCKED)
            user = session.scalar(select(StaffUser).where(StaffUser.username == name))
            ok = verify_password(user.password_hash if user else None, password)
            if not (ok and user is not None and user.active):
                locked = throttle.record_failure(session, keys, now)
                actor = user.username if user else "unknown"
                session.add(audit.entry(now, actor, "staff.login_failed", "staff", None, ip=ip,
                                        details={"locked": locked}))
                return LoginResult(LoginOutcome.LOCKED if locked else LoginOutcome.INVALID)
            throttle.clear(session, "account", name)
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            token = secrets.token_urlsafe(32)
            row = StaffSession(
                id=token_digest(token),
                user_id=user.id,
                csrf_token=secrets.token_urlsafe(32),
                created_at=now,
                last_seen_at=now,
                ip=ip[:45],
            )
            session.add(row)
            session.execute(
                delete(StaffSession).where(StaffSession.last_seen_at < now - SESSION_RETENTION)
            )
            principal = Principal(account_of(user), row.id, row.csrf_token, ip)
            session.add(audit.staff_entry(principal, now, "staff.login", "staff", user.username))
        return LoginResult(LoginOutcome.OK, token, principal)

    def resolve(
        self, token: str | None, ip: str, *, activity: bool = True
    ) -> Principal | SessionEnd:
        """The principal of a live session, or why there is none. A person's request
        (`activity`) restarts the idle clock; a page's background polling must not, or an
        open tab would never time out."""
        if not token:
            return SessionEnd.MISSING
        now = self._clock()
        with self._sessions.begin() as session:
            found = session.execute(
                select(StaffSession, StaffUser)
                .join(StaffUser, StaffSession.user_id == StaffUser.id)
                .where(StaffSession.id == token_digest(token))
            ).first()
            if found is None:
                return SessionEnd.MISSING
            row, user = found
            if row.ended_at is not None or not user.active:
                return SessionEnd.MISSING
            if row.created_at < user.password_changed_at:
                row.ended_at = now
                return SessionEnd.MISSING
            ended = _timed_out(row, now)
            if ended is not None:
                row.ended_at = now
                session.add(audit.entry(now, user.username, f"staff.session_{ended.value}",
                                        "staff", user.username, ip=ip,
                                        session_ref=row.id[:12]))
                return ended
            if activity:
                row.last_seen_at = now
            return Principal(account_of(user), row.id, row.csrf_token, ip)

    def logout(self, principal: Principal) -> None:
        now = self._clock()
        with self._sessions.begin() as session:
            row = session.get(StaffSession, principal.session_id)
            if row is not None and row.ended_at is None:
                row.ended_at = now
            session.add(audit.staff_entry(
                principal, now, "staff.logout", "staff", principal.username))


def _timed_out(row: StaffSession, now: datetime) -> SessionEnd | None:
    if now - row.created_at > ABSOLUTE_TIMEOUT:
        return SessionEnd.EXPIRED
    if now - row.last_seen_at > IDLE_TIMEOUT:
        return SessionEnd.IDLE
    return None


def _actor(session: Session, name: str) -> str:
    """The account name when it exists; typos (often a password in the wrong field) are not
    recorded."""
    exists = session.scalar(select(StaffUser.id).where(StaffUser.username == name))
    return name if exists is not None else "unknown"
