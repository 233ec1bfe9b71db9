"""Records requests: recorded when the bot writes the letter, followed up at day 10 and day 30.

The state lives in the database (`records_requests`), so follow-ups survive restarts and any
web-app node may send them: `due()` lists what is due by the clock, `mark_sent()` moves a
request to its next step only if no other node did so first. Uploads checked since the request
are compared with it (`arrival`): once the images and the report are there, no more follow-ups.
Every public method runs in one transaction; database failures surface as StorageUnavailable.
Nothing here logs patient data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.cases.models import Upload
from bot.db import database_url, make_engine, session_factory, storage_errors
from bot.guidance.records_followup import Arrival, arrival, next_follow_up
from bot.imaging.verdict import Verdict
from bot.letters.models import RecordsRequest


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RequestStatus:
    conversation_id: str
    channel: str
    center_name: str
    exam: str
    requested_at: datetime
    follow_ups_sent: int
    arrived: Arrival


@dataclass(frozen=True)
class DueFollowUp:
    conversation_id: str
    channel: str
    step: str  # "day10" or "day30"
    # What mark_sent expects to find: the same request (not a rewritten one), at this step.
    requested_at: datetime
    follow_ups_sent: int


class RecordsRequests:
    def __init__(
        self, sessions: sessionmaker[Session], clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._sessions = sessions
        self._clock = clock

    def record(self, conversation_id: str, channel: str, center_name: str, exam: str) -> None:
        """The letter was written (again): the request and its follow-ups start from now."""
        with storage_errors("letters.record"), self._sessions.begin() as session:
            row = session.scalar(
                select(RecordsRequest).where(RecordsRequest.conversation_id == conversation_id)
            )
            if row is None:
                row = RecordsRequest(conversation_id=conversation_id)
                session.add(row)
            row.channel = channel[:64]
            row.center_name = center_name[:120]
            row.exam = exam[:120]
            row.requested_at = self._clock()
            row.follow_ups_sent = 0
            row.completed_at = None

    def status(self, conversation_id: str) -> RequestStatus | None:
        with storage_errors("letters.status"), self._sessions() as session:
            row = session.scalar(
                select(RecordsRequest).where(RecordsRequest.conversation_id == conversation_id)
            )
            if row is None:
                return None
            return RequestStatus(
                conversation_id=row.conversation_id,
                channel=row.channel,
                center_name=row.center_name,
                exam=row.exam,
                requested_at=row.requested_at,
                follow_ups_sent=row.follow_ups_sent,
                arrived=_arrival_since(session, conversation_id, row.requested_at),
            )

    def due(self, limit: int = 100) -> list[DueFollowUp]:
        """Follow-ups due now. A request whose images and report arrived is completed here
        instead: asking "has anything arrived?" then would tell the patient we weren't
        listening."""
        now = self._clock()
        found: list[DueFollowUp] = []
        with storage_errors("letters.due"), self._sessions.begin() as session:
            rows = session.scalars(
                select(RecordsRequest)
                .where(RecordsRequest.completed_at.is_(None), RecordsRequest.follow_ups_sent < 2)
                .order_by(RecordsRequest.requested_at)
            )
            for row in rows:
                step = next_follow_up(row.requested_at, row.follow_ups_sent)
                if step is None or step[1] > now:
                    continue
                if _arrival_since(session, row.conversation_id, row.requested_at).complete:
                    row.completed_at = now
                    continue
                found.append(
                    DueFollowUp(
                        row.conversation_id, row.channel, step[0], row.requested_at,
                        row.follow_ups_sent,
                    )
                )
                if len(found) >= limit:
                    break
        return found

    def mark_sent(self, due: DueFollowUp) -> bool:
        """Claim the follow-up for sending; False when another node (or a rewritten letter)
        changed the request first, so each follow-up is sent once."""
        return self._move(due, due.follow_ups_sent, due.follow_ups_sent + 1)

    def release(self, due: DueFollowUp) -> None:
        """The claimed follow-up could not be sent: it is due again."""
        self._move(due, due.follow_ups_sent + 1, due.follow_ups_sent)

    def _move(self, due: DueFollowUp, sent: int, to: int) -> bool:
        with storage_errors("letters.follow_up"), self._sessions.begin() as session:
            result = session.execute(
                update(RecordsRequest)
                .where(
                    RecordsRequest.conversation_id == due.conversation_id,
                    RecordsRequest.requested_at == due.requested_at,
                    RecordsRequest.follow_ups_sent == sent,
                )
                .values(follow_ups_sent=to)
            )
            return cast(CursorResult[Any], result).rowcount == 1


def _arrival_since(session: Session, conversation_id: str, since: datetime) -> Arrival:
    verdicts = session.scalars(
        select(Upload.verdict).where(
            Upload.conversation_id == conversation_id,
            Upload.status == "checked",
            Upload.created_at >= since,
        )
    )
    return arrival([Verdict.from_dict(v) for v in verdicts if v])


@lru_cache(maxsize=1)
def records_requests() -> RecordsRequests:
    # Tests point DATABASE_URL elsewhere and call records_requests.cache_clear().
    return RecordsRequests(session_factory(make_engine(database_url())))
