"""Plain values of the staff layer (callers never hold ORM objects)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    AGENT = "agent"


@dataclass(frozen=True)
class StaffAccount:
    id: int
    username: str
    display_name: str
    role: Role
    active: bool
    created_at: datetime


@dataclass(frozen=True)
class StaffOverview:
    account: StaffAccount
    last_sign_in: datetime | None
    live_sessions: int


@dataclass(frozen=True)
class Principal:
    """The signed-in staff member behind one request."""

    account: StaffAccount
    session_id: str  # SHA-256 of the cookie token
    csrf_token: str
    ip: str

    @property
    def username(self) -> str:
        return self.account.username

    @property
    def is_admin(self) -> bool:
        return self.account.role is Role.ADMIN

    @property
    def session_ref(self) -> str:
        """Short enough for the audit trail, long enough to tell sessions apart."""
        return self.session_id[:12]


class LoginOutcome(StrEnum):
    OK = "ok"
    INVALID = "invalid"  # unknown user, wrong password or disabled: deliberately one outcome
    LOCKED = "locked"


@dataclass(frozen=True)
class LoginResult:
    outcome: LoginOutcome
    token: str | None = None  # the new session's cookie value
    principal: Principal | None = None


class SessionEnd(StrEnum):
    IDLE = "idle"
    EXPIRED = "expired"  # the absolute limit
    MISSING = "missing"  # no cookie, unknown, logged out, account disabled


class AccountExists(ValueError):
    pass


class AccountNotFound(LookupError):
    pass


class FileNotFound(LookupError):
    """No such stored file in that case or conversation."""


class Refused(ValueError):
    """A staff member's request that a rule turns down; the message, for them, says which."""


MAX_NOTE = 5000


def note_text(body: str) -> str:
    """A note as stored: trimmed, 1 to MAX_NOTE characters."""
    text = body.strip()
    if not text or len(text) > MAX_NOTE:
        raise Refused(f"a note has 1 to {MAX_NOTE} characters")
    return text
