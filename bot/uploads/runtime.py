"""The process-wide UploadService, built from the environment on first use."""

from __future__ import annotations

from functools import lru_cache

from bot.config import Settings
from bot.db import database_url, make_engine, session_factory
from bot.uploads.service import UploadService


@lru_cache(maxsize=1)
def upload_service() -> UploadService:
    # Tests point DATABASE_URL / VAR_DIR elsewhere and call upload_service.cache_clear().
    return UploadService(session_factory(make_engine(database_url())), Settings.load())
