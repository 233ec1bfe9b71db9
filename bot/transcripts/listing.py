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

from bot.cases.models import Case, Upload
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
# The intents that name what a conversation was about (the list's topic column), first one first.
TOPIC_INTENTS = (
    "red_flag", "ask_worthwhile", "request_records", "records_delay", "request_letter",
    "upload_files", "find_subspecialist", "find_nearby", "ask_insurance", "reports_disagree",
    "compare_reports", "open_case", "check_case_status", "ask_diagnosis", "ask_privacy",
    "human_handoff", "delete_my_data",
)


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
    topics: list[str] = field(default_factory=list)  # TOPIC_INTENTS, in the order raised
    uploads: int = 0  # stored uploads (receiving ones are not yet there)


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
    ids = [row._mapping["conversation_id"] for row in rows]
    topics, uploads = _topics(session, ids), _upload_counts(session, ids)
    summaries = [
        _summary(row, topics.get(row._mapping["conversation_id"], []),
                 uploads.get(row._mapping["conversation_id"], 0))
        for row in rows
    ]
    return ConversationPage(summaries, total, page, pages)


def _topics(session: Session, ids: list[str]) -> dict[str, list[str]]:
    """The topic intents each conversation raised, in order (for the page's rows only)."""
    topics: dict[str, list[str]] = {}
    if not ids:
        return topics
    for sender, intent in session.execute(
        select(EVENTS.c.sender_id, EVENTS.c.intent_name)
        .where(EVENTS.c.sender_id.in_(ids), EVENTS.c.type_name == "user",
               EVENTS.c.intent_name.in_(TOPIC_INTENTS))
        .order_by(EVENTS.c.id)
    ):
        seen = topics.setdefault(sender, [])
        if intent not in seen:
            seen.append(intent)
    return topics


def _upload_counts(session: Session, ids: list[str]) -> dict[str, int]:
    if not ids:
        return {}
    rows = session.execute(
        select(Upload.conversation_id, func.count())
        .where(Upload.conversation_id.in_(ids), Upload.status != "receiving")
        .group_by(Upload.conversation_id)
    ).all()
    return {str(conversation): int(count) for conversation, count in rows}


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
        with_the_words = select(EVENTS.c.sender_id).where(
            EVENTS.c.type_name.in_(("user", "bot")),
            EVENTS.c.data.icontains(_json_like(term), autoescape=True),
        )
        conditions.append(
            or_(
                c.conversation_id.in_(with_the_words),
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


def _summary(row: object, topics: list[str], uploads: int) -> ConversationSummary:
    r = row._mapping  # type: ignore[attr-defined]
    summary = ConversationSummary(
        conversation_id=r["conversation_id"],
        channel=r["channel"] or "",
        started_at=_from_timestamp(r["started"]),
        last_activity_at=_from_timestamp(r["last"]),
        messages=int(r["messages"]),
        case_number=r["number"],
        fallbacks=int(r["fallbacks"]),
        low_confidence=int(r["low_confidence"]),
        red_flags=int(r["red_flags"]),
        handoff=int(r["handoffs"]) > 0,
        review_status=r["status"],
        paused=r["paused_at"] is not None and r["paused_at"] > (r["resumed_at"] or 0),
        topics=topics,
        uploads=uploads,
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


def _from_timestamp(timestamp: float | None) -> datetime:
    return datetime.fromtimestamp(timestamp or 0, UTC)
