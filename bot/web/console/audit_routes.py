"""The audit trail, for administrators only (viewing it is itself audited)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from bot.staff import audit
from bot.web.console import forms
from bot.web.console.security import PREFIX, Admin, ConsoleRoute, Services
from bot.web.console.templates import render

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute)


@router.get("/audit")
def audit_trail(request: Request, principal: Admin, services: Services) -> Response:
    q = request.query_params
    target = forms.text(q.get("target"), 255)
    if q.get("conversation"):
        # Conversations are audited by keyed reference: search by the id, find the reference.
        target = audit.conversation_ref(services.settings.secret_key,
                                        forms.text(q.get("conversation"), 255))
    query = audit.AuditFilter(
        actor=forms.text(q.get("actor"), 100),
        action=forms.text(q.get("action"), 64),
        target_ref=target,
        since=forms.day_start(q.get("since")),
        until=forms.day_end(q.get("until")),
    )
    page = audit.browse(services.sessions, query, forms.page_number(q.get("page")))
    with services.sessions.begin() as session:
        session.add(audit.staff_entry(principal, services.clock(), "audit.viewed", "audit", None,
                             {"page": page.page}))
    params = {k: v for k, v in q.items() if k != "page" and v}
    return render(request, "audit.html", principal, page=page, filters=q, params=params)
