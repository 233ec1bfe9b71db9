"""The records_requests table: one records request per conversation and its follow-ups.

It shares the cases' declarative Base. It holds the imaging center's name and the exam (patient
data with the conversation id), so erasure removes its rows with the conversation's.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from bot.cases.models import Base


class RecordsRequest(Base):
    __tablename__ = "records_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique: writing the letter again restarts the clock of the same request.
    conversation_id: Mapped[str] = mapped_column(String(255), unique=True)
    channel: Mapped[str] = mapped_column(String(64))
    center_name: Mapped[str] = mapped_column(String(120))
    exam: Mapped[str] = mapped_column(String(120))
    requested_at: Mapped[datetime] = mapped_column(index=True)
    # How many follow-ups (day 10, day 30) were delivered; the next one is due by the date.
    follow_ups_sent: Mapped[int] = mapped_column(default=0)
    # Set when the images and the report arrived: no more follow-ups.
    completed_at: Mapped[datetime | None]
