"""The process-wide CaseService, built from the configured database on first use."""

from __future__ import annotations

from functools import lru_cache

from bot.cases.service import CaseService
from bot.db import database_url, make_engine, session_factory


@lru_cache(maxsize=1)
def case_service() -> CaseService:
    # Tests point DATABASE_URL elsewhere and call case_service.cache_clear().
    return CaseService(session_factory(make_engine(database_url())))
