"""Reading filter values from query strings: bad input is ignored, never an error page."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import TypeVar

E = TypeVar("E", bound=StrEnum)


def day_start(value: str | None) -> datetime | None:
    try:
        return datetime.combine(date.fromisoformat(value or ""), datetime.min.time(), UTC)
    except ValueError:
        return None


def day_end(value: str | None) -> datetime | None:
    """The end of the given day (exclusive), so "until 2026-03-01" includes that day."""
    start = day_start(value)
    return start + timedelta(days=1) if start else None


def choice(enum: type[E], value: str | None) -> E | None:
    try:
        return enum(value) if value else None
    except ValueError:
        return None


def page_number(value: str | None) -> int:
    try:
        return max(1, min(int(value or "1"), 100_000))
    except ValueError:
        return 1


def text(value: str | None, limit: int = 100) -> str:
    return (value or "").strip()[:limit]
