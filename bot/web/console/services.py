"""What the console's routes use, built once from the environment (tests override
`console_services` through FastAPI's dependency_overrides)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy.orm import Session, sessionmaker

from bot.cases.service import CaseService, utc_now
from bot.config import Settings
from bot.db import database_url, make_engine, session_factory
from bot.notify.takeover import Takeover
from bot.notify.telegram import send_telegram_text
from bot.staff.auth import Authenticator


@dataclass
class ConsoleServices:
    settings: Settings
    sessions: sessionmaker[Session]
    clock: Callable[[], datetime]
    auth: Authenticator
    cases: CaseService
    takeover: Takeover

    @classmethod
    def build(
        cls,
        settings: Settings,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime] = utc_now,
        takeover: Takeover | None = None,
    ) -> ConsoleServices:
        if takeover is None:
            takeover = Takeover(
                settings.rasa_url,
                settings.rasa_api_token,
                telegram=functools.partial(send_telegram_text, settings=settings),
            )
        return cls(settings, sessions, clock, Authenticator(sessions, clock),
                   CaseService(sessions, clock), takeover)


@lru_cache(maxsize=1)
def _default() -> ConsoleServices:
    return ConsoleServices.build(Settings.load(), session_factory(make_engine(database_url())))


def console_services() -> ConsoleServices:
    return _default()
