"""Tables of the staff console: accounts, sessions, login throttling, conversation reviews.

They share the cases' declarative Base (naming convention, UTC datetimes). Nothing here holds
patient data except `conversation_notes.body`, which staff write and erasure removes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.cases.models import Base

REVIEW_STATUSES = ("reviewed", "follow_up")


class StaffUser(Base):
    __tablename__ = "staff_users"
    __table_args__ = (CheckConstraint("role IN ('admin', 'agent')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)  # stored lower-case
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool]
    created_at: Mapped[datetime]
    password_changed_at: Mapped[datetime]


class StaffSession(Base):
    """A signed-in browser. The id is the SHA-256 of the cookie's token, so a copy of this
    table cannot be replayed as cookies."""

    __tablename__ = "staff_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    ip: Mapped[str] = mapped_column(String(45))


class LoginThrottle(Base):
    """Recent failed logins per account name or per client address."""

    __tablename__ = "login_throttle"
    __table_args__ = (
        UniqueConstraint("scope", "key"),
        CheckConstraint("scope IN ('account', 'ip')", name="scope"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(128))
    failures: Mapped[int]
    window_started_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]


class ConversationReview(Base):
    __tablename__ = "conversation_reviews"
    __table_args__ = (
        CheckConstraint("status IN ('reviewed', 'follow_up')", name="status"),
    )

    conversation_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    reviewed_by: Mapped[str] = mapped_column(String(64))
    reviewed_at: Mapped[datetime]


class ConversationTag(Base):
    __tablename__ = "conversation_tags"
    __table_args__ = (UniqueConstraint("conversation_id", "tag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(255))
    tag: Mapped[str] = mapped_column(String(40), index=True)
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime]


class ConversationNote(Base):
    __tablename__ = "conversation_notes"
    __table_args__ = (Index("ix_conversation_notes_conversation", "conversation_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(255))
    author: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)  # may mention the patient: never log it
    created_at: Mapped[datetime]


class ConversationPresence(Base):
    """Whether the patient is typing or has left, reported by the widget while a person has
    taken over, so the agent sees it. One row per conversation; nothing the patient wrote."""

    __tablename__ = "conversation_presence"
    __table_args__ = (CheckConstraint("state IN ('here', 'typing', 'left')", name="state"),)

    conversation_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    state: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime]
