"""The staff console at /console: server-rendered pages over bot.staff and bot.transcripts."""

from __future__ import annotations

from fastapi import APIRouter

from bot.web.console import (
    access_log,
    audit_routes,
    auth_routes,
    cases,
    conversations,
    dashboard,
    directory,
    exports,
    letters,
    staff_routes,
    takeover_routes,
)

router = APIRouter()
for _part in (
    auth_routes.router,
    dashboard.router,
    conversations.router,
    takeover_routes.router,
    cases.router,
    exports.router,
    directory.router,
    letters.router,
    audit_routes.router,
    staff_routes.router,
    auth_routes.fallback,  # last: the catch-all for unknown console URLs
):
    router.include_router(_part)
access_log.install()
