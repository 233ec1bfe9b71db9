"""Writing and browsing the append-only audit trail (`audit_entries`) for console actions.

Entries name the staff member, the action, the target and where the request came from (client
address and session); never patient data. Conversation ids can be chat or phone identifiers,
so they are recorded as a keyed hash: admins can still search for a conversation's entries,
and an erased conversation leaves nothing that points back to the person.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.cases.models import AuditEntry
from bot.staff.records import Principal

SOURCE = "console"
PAGE_SIZE = 50


def conversation_ref(secret: str, conversation_id: str) -> str:
    digest = hmac.new(secret.encode(), conversation_id.encode(), hashlib.sha256).hexdigest()
    return "conv:" + digest[:32]


def entry(
    at: datetime,
    actor: str,
    action: str,
    target_type: str,
    target_ref: str | None,
    *,
    ip: str,
    session_ref: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    where: dict[str, Any] = {"ip": ip}
    if session_ref:
        where["session"] = session_ref
    return AuditEntry(
        at=at,
        actor=actor,
        action=action,
        target_type=target_type,
        target_ref=target_ref,
        source=SOURCE,
        details={**where, **(details or {})},
    )


def staff_entry(
    principal: Principal,
    at: datetime,
    action: str,
    target_type: str,
    target_ref: str | None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """An entry for something a signed-in staff member did."""
    return entry(
        at,
        principal.username,
        action,
        target_type,
        target_ref,
        ip=principal.ip,
        session_ref=principal.session_ref,
        details=details,
    )


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    action: str = ""  # a prefix: "case." finds every case action
    target_ref: str = ""
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor: str
    action: str
    target_type: str
    target_ref: str | None
    source: str
    details: dict[str, Any]


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    total: int
    page: int
    pages: int


def browse(sessions: sessionmaker[Session], query: AuditFilter, page: int = 1) -> AuditPage:
    conditions = []
    if query.actor:
        conditions.append(AuditEntry.actor == query.actor)
    if query.action:
        conditions.append(AuditEntry.action.startswith(query.action, autoescape=True))
    if query.target_ref:
        conditions.append(AuditEntry.target_ref == query.target_ref)
    if query.since:
        conditions.append(AuditEntry.at >= query.since)
    if query.until:
        conditions.append(AuditEntry.at < query.until)
    with sessions() as session:
        total = session.scalar(select(func.count()).select_from(AuditEntry).where(*conditions))
        pages = max(1, -(-(total or 0) // PAGE_SIZE))
        page = min(max(page, 1), pages)
        found = session.scalars(
            select(AuditEntry)
            .where(*conditions)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
        )
        rows = [
            AuditRow(e.id, e.at, e.actor, e.action, e.target_type, e.target_ref, e.source,
                     dict(e.details))
            for e in found
        ]
    return AuditPage(rows, total or 0, page, pages)
