"""Dashboard figures: conversations per day, the journey funnel, fallbacks and the messages
the bot most often failed to understand."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, Subquery, and_, case, distinct, func, select
from sqlalchemy.orm import Session

from bot.cases.models import Case, Upload
from bot.transcripts.events import (
    EVENTS,
    FALLBACK_ACTION,
    FALLBACK_INTENT,
    JOURNEY_ANSWERS,
    has_events_table,
)

# Enough for a stable top ten without reading years of text on every page view.
MISUNDERSTOOD_SAMPLE = 5000


@dataclass(frozen=True)
class Day:
    day: date
    conversations: int
    cases: int
    uploads_checked: int


@dataclass(frozen=True)
class Funnel:
    started: int
    journey_finished: int
    upload_checked: int
    case_opened: int


@dataclass(frozen=True)
class Dashboard:
    since: date
    until: date  # inclusive
    days: list[Day]
    funnel: Funnel
    user_messages: int
    fallbacks: int
    misunderstood: list[tuple[str, int]]

    @property
    def fallback_rate(self) -> float:
        return self.fallbacks / self.user_messages if self.user_messages else 0.0


def dashboard(session: Session, today: date, days: int) -> Dashboard:
    since = today - timedelta(days=days - 1)
    start = datetime.combine(since, datetime.min.time(), UTC)
    end = datetime.combine(today + timedelta(days=1), datetime.min.time(), UTC)
    buckets = {since + timedelta(days=n): [0, 0, 0] for n in range(days)}

    for created in session.scalars(
        select(Case.created_at).where(Case.created_at >= start, Case.created_at < end)
    ):
        buckets[created.date()][1] += 1
    for checked in session.scalars(
        select(Upload.checked_at).where(
            Upload.status == "checked", Upload.checked_at >= start, Upload.checked_at < end
        )
    ):
        if checked is not None:
            buckets[checked.date()][2] += 1

    funnel, user_messages, fallbacks, misunderstood = Funnel(0, 0, 0, 0), 0, 0, []
    if has_events_table(session):
        first, last = start.timestamp(), end.timestamp()
        started = _started(first, last)
        for (timestamp,) in session.execute(select(started.c.started)):
            buckets[datetime.fromtimestamp(timestamp, UTC).date()][0] += 1
        funnel = _funnel(session, started)
        in_period = and_(EVENTS.c.timestamp >= first, EVENTS.c.timestamp < last)
        user_messages = _count(session, and_(in_period, EVENTS.c.type_name == "user"))
        fallbacks = _count(session, and_(in_period, EVENTS.c.action_name == FALLBACK_ACTION))
        misunderstood = _misunderstood(session, in_period)
    rows = [Day(day, *counts) for day, counts in sorted(buckets.items())]
    return Dashboard(since, today, rows, funnel, user_messages, fallbacks, misunderstood)


def _started(first: float, last: float) -> Subquery:
    """Conversations whose first event falls in the period and that have a user message."""
    user = func.sum(case((EVENTS.c.type_name == "user", 1), else_=0))
    return (
        select(EVENTS.c.sender_id.label("sender_id"), func.min(EVENTS.c.timestamp).label("started"))
        .group_by(EVENTS.c.sender_id)
        .having(func.min(EVENTS.c.timestamp) >= first, func.min(EVENTS.c.timestamp) < last,
                user > 0)
        .subquery("started")
    )


def _funnel(session: Session, started: Subquery) -> Funnel:
    ids = select(started.c.sender_id)
    total = session.scalar(select(func.count()).select_from(started)) or 0
    journey = session.scalar(
        select(func.count(distinct(EVENTS.c.sender_id))).where(
            EVENTS.c.sender_id.in_(ids), EVENTS.c.action_name.in_(JOURNEY_ANSWERS)
        )
    ) or 0
    uploads = session.scalar(
        select(func.count(distinct(Upload.conversation_id))).where(
            Upload.conversation_id.in_(ids), Upload.status == "checked"
        )
    ) or 0
    cases = session.scalar(
        select(func.count(distinct(Case.conversation_id))).where(Case.conversation_id.in_(ids))
    ) or 0
    return Funnel(total, journey, uploads, cases)


def _count(session: Session, condition: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count()).select_from(EVENTS).where(condition)) or 0


def _misunderstood(session: Session, in_period: ColumnElement[bool]) -> list[tuple[str, int]]:
    rows = session.scalars(
        select(EVENTS.c.data)
        .where(in_period, EVENTS.c.type_name == "user", EVENTS.c.intent_name == FALLBACK_INTENT)
        .order_by(EVENTS.c.id.desc())
        .limit(MISUNDERSTOOD_SAMPLE)
    )
    counts: Counter[str] = Counter()
    for raw in rows:
        try:
            text = str(json.loads(raw or "{}").get("text") or "")
        except ValueError:
            continue
        normalized = " ".join(text.lower().split())[:120]
        if normalized:
            counts[normalized] += 1
    return counts.most_common(10)
