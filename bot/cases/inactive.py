"""Which conversations never became a case and have been silent for a while.

A conversation's last activity is the latest of its Rasa events (the `events` table, when Rasa
has created it), its uploads and its consent answers. Conversations with a case are kept by the
case's own rule (12 months after it closes), never by this one.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from bot.cases.models import Case, ConsentRecord, Upload


def inactive_conversations(session: Session, cutoff: datetime) -> list[str]:
    """Conversations without a case whose last activity is older than `cutoff`."""
    latest: dict[str, datetime] = {}
    for conversation_id, at in _activity(session):
        if conversation_id not in latest or at > latest[conversation_id]:
            latest[conversation_id] = at
    with_case = set(session.scalars(select(Case.conversation_id)))
    return sorted(c for c, at in latest.items() if at < cutoff and c not in with_case)


def is_inactive(session: Session, conversation_id: str, cutoff: datetime) -> bool:
    """The same test for one conversation, made again just before it is erased."""
    if session.scalar(select(Case.id).where(Case.conversation_id == conversation_id)):
        return False
    times = [at for c, at in _activity(session, conversation_id) if c == conversation_id]
    return bool(times) and max(times) < cutoff


def _activity(session: Session, only: str | None = None) -> list[tuple[str, datetime]]:
    rows: list[tuple[str, datetime]] = []
    if inspect(session.connection()).has_table("events"):
        where = "WHERE sender_id = :only " if only is not None else ""
        events = session.execute(
            text(f"SELECT sender_id, MAX(timestamp) FROM events {where}GROUP BY sender_id"),
            {"only": only},
        )
        rows += [(sender, datetime.fromtimestamp(ts or 0.0, UTC)) for sender, ts in events]
    for column, at in (
        (Upload.conversation_id, Upload.created_at),
        (ConsentRecord.conversation_id, ConsentRecord.recorded_at),
    ):
        query = select(column, func.max(at)).group_by(column)
        if only is not None:
            query = query.where(column == only)
        rows += [(c, latest) for c, latest in session.execute(query) if latest]
    return rows
