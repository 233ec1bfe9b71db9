"""Staff accounts for administrators: who has access, who is signed in, and cutting access
off at once (disable, or end the sessions). Accounts are created with `bot-admin`."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import RedirectResponse

from bot.staff.accounts import Accounts
from bot.web.console.security import PREFIX, Admin, AdminPost, ConsoleRoute, Services
from bot.web.console.templates import render

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute)


def accounts(services: Services) -> Accounts:
    return Accounts(services.sessions, services.clock)


@router.get("/staff")
def staff_list(request: Request, principal: Admin, services: Services) -> Response:
    return render(request, "staff.html", principal, staff=accounts(services).overview(),
                  flash=request.query_params.get("done", "")[:80])


def _done(message: str) -> Response:
    return RedirectResponse(f"{PREFIX}/staff?done={message}", status_code=303)


@router.post("/staff/{username}/disable")
def disable(username: str, principal: AdminPost, services: Services) -> Response:
    if username == principal.username:
        raise HTTPException(400, "You cannot disable your own account.")
    accounts(services).set_active(username, False, admin=principal)
    return _done("Account disabled and signed out.")


@router.post("/staff/{username}/enable")
def enable(username: str, principal: AdminPost, services: Services) -> Response:
    accounts(services).set_active(username, True, admin=principal)
    return _done("Account enabled.")


@router.post("/staff/{username}/end-sessions")
def end_sessions(username: str, principal: AdminPost, services: Services) -> Response:
    accounts(services).end_sessions(username, admin=principal)
    return _done("Sessions ended.")
