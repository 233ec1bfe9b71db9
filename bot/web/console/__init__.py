"""The staff console at /console: server-rendered pages over bot.staff and bot.transcripts."""

from __future__ import annotations

from fastapi import APIRouter

from bot.web.console import audit_routes, auth_routes, cases, conversations, takeover_routes

router = APIRouter()
for _part in (auth_routes.router, conversations.router, takeover_routes.router, cases.router,
              audit_routes.router,
              auth_routes.fallback):
    router.include_router(_part)
