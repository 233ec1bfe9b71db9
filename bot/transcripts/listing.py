"""The conversation list: one row per conversation, aggregated from `events` in SQL.

Flags come from the indexed-by-Rasa columns (`intent_name`, `action_name`) and, for
confidence, channel and the handoff slot, from the event JSON (json_extract on SQLite, ->>
on PostgreSQL, through SQLAlchemy's JSON type).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session

from bot.cases.models import Case
from bot.staff.models import ConversationReview, ConversationTag
from bot.transcripts.events import (
    EMERGENCY_ACTION,
    EVENTS,
    FALLBACK_ACTION,
    FALLBACK_INTENT,
    HANDOFF_SLOT,
    LOW_CONFIDENCE,
    RED_FLAG_INTENT,
    event_json,
    has_events_table,
)

PAGE_SIZE = 25


class Flag(StrEnum):
    FALLBACK = "fallback"
    LOW_CONFIDENCE = "low_confidence"
    RED_FLAG = "red_flag"
    HANDOFF = "handoff"
    PAUSED = "paused"  # a person has taken over and not handed back


class ReviewFilter(StrEnum):
    UNREVIEWED = "unreviewed"
    REVIEWED = "reviewed"
    FOLLOW_UP = "follow_up"


@dataclass(frozen=True)
class ConversationFilter:
    channel: str = ""
    since: datetime | None = None
    until: datetime | None = None
    intent: str = ""
    flag: Flag | None = None
    review: ReviewFilter | None = None
    text: str = ""
    tag: str = ""


@dataclass(frozen=True)
class ConversationSummary:
    conversation_id: str
    channel: str
    started_at: datetime
    last_activity_at: datetime
    messages: int
    case_number: str | None
    fallbacks: int
    low_confidence: int
    red_flags: int
    handoff: bool
    review_status: str | None
    paused: bool = False
    flags: list[Flag] = field(default_factory=list)


@dataclass(frozen=True)
class ConversationPage:
    rows: list[ConversationSummary]
    total: int
    page: int
    pages: int


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def aggregated(dialect: str) -> Select[tuple[object, ...]]:
    """Per conversation: times, message count, flag counts and channel."""
    data = event_json(dialect)
    is_user = EVENTS.c.type_name == "user"
    confidence = data[("parse_data", "intent", "confidence")].as_float()
    handoff_set = and_(
        EVENTS.c.type_name == "slot",
        data["name"].as_string() == HANDOFF_SLOT,
        data["value"].as_boolean() == literal(True),
    )
    return select(
        EVENTS.c.sender_id.label("conversation_id"),
        func.min(EVENTS.c.timestamp).label("started"),
        func.max(EVENTS.c.timestamp).label("last"),
        _count_if(EVENTS.c.type_name.in_(("user", "bot"))).label("messages"),
        _count_if(
            or_(EVENTS.c.action_name == FALLBACK_ACTION, EVENTS.c.intent_name == FALLBACK_INTENT)
        ).label("fallbacks"),
        _count_if(
            and_(is_user, EVENTS.c.intent_name != FALLBACK_INTENT, confidence < LOW_CONFIDENCE)
        ).label("low_confidence"),
        _count_if(
            or_(EVENTS.c.intent_name == RED_FLAG_INTENT, EVENTS.c.action_name == EMERGENCY_ACTION)
        ).label("red_flags"),
        _count_if(handoff_set).label("handoffs"),
        func.max(case((is_user, data["input_channel"].as_string()))).label("channel"),
        func.max(case((EVENTS.c.type_name == "pause", EVENTS.c.id))).label("paused_at"),
        func.max(case((EVENTS.c.type_name == "resume", EVENTS.c.id))).label("resumed_at"),
    ).group_by(EVENTS.c.sender_id)


def _json_like(text: str) -> str:
    """The pattern as Rasa stores text: JSON-escaped (non-ASCII as \\uXXXX)."""
    return json.dumps(text.strip())[1:-1]


def list_conversations(
    session: Session, query: ConversationFilter, page: int = 1, page_size: int = PAGE_SIZE
) -> ConversationPage:
    if not has_events_table(session):
        return ConversationPage([], 0, 1, 1)
    agg = aggregated(session.get_bind().dialect.name).subquery("agg")
    stmt = (
        select(agg, Case.number, ConversationReview.status)
        .outerjoin(Case, Case.conversation_id == agg.c.conversation_id)
        .outerjoin(
            ConversationReview, ConversationReview.conversation_id == agg.c.conversation_id
        )
        .where(agg.c.messages > 0)
    )
    stmt = stmt.where(*_conditions(agg, query))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    pages = max(1, -(-total // page_size))
    page = min(max(page, 1), pages)
    rows = session.execute(
        stmt.order_by(agg.c.last.desc(), agg.c.conversation_id)
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    return ConversationPage([_summary(row) for row in rows], total, page, pages)


def _conditions(agg: object, query: ConversationFilter) -> list[ColumnElement[bool]]:
    c = agg.c  # type: ignore[attr-defined]
    conditions: list[ColumnElement[bool]] = []
    if query.channel:
        conditions.append(c.channel == query.channel)
    if query.since:
        conditions.append(c.last >= query.since.timestamp())
    if query.until:
        conditions.append(c.started < query.until.timestamp())
    if query.intent:
        conditions.append(
            c.conversation_id.in_(
                select(EVENTS.c.sender_id).where(
                    EVENTS.c.type_name == "user", EVENTS.c.intent_name == query.intent
                )
            )
        )
    if query.flag is not None:
        if query.flag is Flag.PAUSED:
            conditions.append(_paused(c))
        else:
            column = {
                Flag.FALLBACK: c.fallbacks,
                Flag.LOW_CONFIDENCE: c.low_confidence,
                Flag.RED_FLAG: c.red_flags,
                Flag.HANDOFF: c.handoffs,
            }[query.flag]
            conditions.append(column > 0)
    if query.review is ReviewFilter.UNREVIEWED:
        conditions.append(ConversationReview.status.is_(None))
    elif query.review is not None:
        conditions.append(ConversationReview.status == query.review.value)
    if query.tag:
        conditions.append(
            c.conversation_id.in_(
                select(ConversationTag.conversation_id).where(ConversationTag.tag == query.tag)
            )
        )
    if query.text.strip():
        term = query.text.strip()
        said = select(EVENTS.c.sender_id).where(
            EVENTS.c.type_name.in_(("user", "bot")),
            EVENTS.c.data.icontains(_json_like(term), autoescape=True),
        )
        conditions.append(
            or_(
                c.conversation_id.in_(said),
                c.conversation_id == term,
                Case.number == term.upper(),
            )
        )
    return conditions


def _paused(c: object) -> ColumnElement[bool]:
    columns = c  # the subquery's columns
    paused_at = columns.paused_at  # type: ignore[attr-defined]
    resumed_at = columns.resumed_at  # type: ignore[attr-defined]
    return and_(paused_at.is_not(None), paused_at > func.coalesce(resumed_at, 0))


def _summary(row: object) -> ConversationSummary:
    r = row._mapping  # type: ignore[attr-defined]
    summary = ConversationSummary(
        conversation_id=r["conversation_id"],
        channel=r["channel"] or "",
        started_at=_when(r["started"]),
        last_activity_at=_when(r["last"]),
        messages=int(r["messages"]),
        case_number=r["number"],
        fallbacks=int(r["fallbacks"]),
        low_confidence=int(r["low_confidence"]),
        red_flags=int(r["red_flags"]),
        handoff=int(r["handoffs"]) > 0,
        review_status=r["status"],
        paused=r["paused_at"] is not None and r["paused_at"] > (r["resumed_at"] or 0),
    )
    flags = [
        flag
        for flag, on in (
            (Flag.PAUSED, summary.paused),
            (Flag.RED_FLAG, summary.red_flags),
            (Flag.HANDOFF, summary.handoff),
            (Flag.FALLBACK, summary.fallbacks),
            (Flag.LOW_CONFIDENCE, summary.low_confidence),
        )
        if on
    ]
    summary.flags.extend(flags)
    return summary


def _when(timestamp: float | None) -> datetime:
    return datetime.fromtimestamp(timestamp or 0, UTC)
