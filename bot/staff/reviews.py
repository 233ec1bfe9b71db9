"""Staff's own records about conversations: review status, tags and notes. Each change is
audited, with the conversation named only by its keyed reference (see bot.staff.audit)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from bot.cases.service import utc_now
from bot.staff import audit
from bot.staff.models import (
    ConversationNote,
    ConversationPresence,
    ConversationReview,
    ConversationTag,
)
from bot.staff.records import Principal, Refused, note_text

TAG = re.compile(r"^[a-z0-9][a-z0-9 _-]{0,39}$")


@dataclass(frozen=True)
class Note:
    author: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class ReviewState:
    status: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    tags: list[str]
    notes: list[Note]


def normalize_tag(tag: str) -> str:
    value = " ".join(tag.strip().lower().split())
    if not TAG.fullmatch(value):
        raise Refused("tags are 1-40 of a-z, 0-9, space, '_' and '-'")
    return value


class Reviews:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        secret: str,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._sessions = sessions
        self._secret = secret
        self._clock = clock

    def audit_ref(self, conversation_id: str) -> str:
        return audit.conversation_ref(self._secret, conversation_id)

    def review_of(self, conversation_id: str) -> ReviewState:
        with self._sessions() as session:
            review = session.get(ConversationReview, conversation_id)
            tags = session.scalars(
                select(ConversationTag.tag)
                .where(ConversationTag.conversation_id == conversation_id)
                .order_by(ConversationTag.tag)
            )
            notes = session.scalars(
                select(ConversationNote)
                .where(ConversationNote.conversation_id == conversation_id)
                .order_by(ConversationNote.created_at, ConversationNote.id)
            )
            return ReviewState(
                review.status if review else None,
                review.reviewed_by if review else None,
                review.reviewed_at if review else None,
                list(tags),
                [Note(n.author, n.body, n.created_at) for n in notes],
            )

    def set_status(self, principal: Principal, conversation_id: str, status: str | None) -> None:
        """`reviewed`, `follow_up`, or None to mark it unreviewed again."""
        if status not in (None, "reviewed", "follow_up"):
            raise ValueError("unknown review status")
        now = self._clock()
        with self._sessions.begin() as session:
            review = session.get(ConversationReview, conversation_id)
            if status is None:
                if review is not None:
                    session.delete(review)
            elif review is None:
                session.add(ConversationReview(conversation_id=conversation_id, status=status,
                                               reviewed_by=principal.username, reviewed_at=now))
            else:
                review.status, review.reviewed_by, review.reviewed_at = (
                    status, principal.username, now
                )
            session.add(audit.staff_entry(
                principal, now, "conversation.review_set", "conversation",
                self.audit_ref(conversation_id), {"status": status or "unreviewed"}))

    def add_tag(self, principal: Principal, conversation_id: str, tag: str) -> None:
        value = normalize_tag(tag)
        now = self._clock()
        with self._sessions.begin() as session:
            exists = session.scalar(
                select(ConversationTag.id).where(
                    ConversationTag.conversation_id == conversation_id,
                    ConversationTag.tag == value,
                )
            )
            if exists is None:
                session.add(ConversationTag(conversation_id=conversation_id, tag=value,
                                            added_by=principal.username, added_at=now))
                session.add(audit.staff_entry(
                    principal, now, "conversation.tag_added", "conversation",
                    self.audit_ref(conversation_id), {"tag": value}))

    def remove_tag(self, principal: Principal, conversation_id: str, tag: str) -> None:
        now = self._clock()
        with self._sessions.begin() as session:
            session.execute(
                delete(ConversationTag).where(
                    ConversationTag.conversation_id == conversation_id,
                    ConversationTag.tag == tag,
                )
            )
            session.add(audit.staff_entry(
                principal, now, "conversation.tag_removed", "conversation",
                self.audit_ref(conversation_id), {"tag": tag[:40]}))

    def add_note(self, principal: Principal, conversation_id: str, body: str) -> None:
        text = note_text(body)
        now = self._clock()
        with self._sessions.begin() as session:
            session.add(ConversationNote(conversation_id=conversation_id,
                                         author=principal.username, body=text, created_at=now))
            # The note's text may be about the patient: the audit keeps its length only.
            session.add(audit.staff_entry(principal, now, "conversation.note_added", "conversation",
                                 self.audit_ref(conversation_id), {"length": len(text)}))

    def all_tags(self) -> list[str]:
        with self._sessions() as session:
            return list(session.scalars(select(ConversationTag.tag).distinct().order_by("tag")))


def erase_conversation_reviews(session: Session, conversation_id: str) -> int:
    """For the patient's "delete my data": staff notes may describe the patient. Call inside
    the erasure's transaction; returns the number of rows removed."""
    removed = 0
    for model in (ConversationNote, ConversationTag, ConversationReview, ConversationPresence):
        result = session.execute(delete(model).where(model.conversation_id == conversation_id))
        removed += int(getattr(result, "rowcount", 0) or 0)
    return removed
