"""Sign-in, sign-out and the console's own static files (the only routes open to everyone)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, Response
from fastapi.responses import FileResponse, RedirectResponse

from bot.staff.records import LoginOutcome
from bot.web.console.security import (
    COOKIE_PATH,
    LOGIN_CSRF_COOKIE,
    PREFIX,
    SESSION_COOKIE,
    ConsoleRoute,
    Services,
    Staff,
    StaffPost,
    client_ip,
    is_https,
)
from bot.web.console.templates import render

STATIC_DIR = Path(__file__).resolve().parents[1] / "static" / "console"
STATIC_FILES = {"console.css": "text/css", "console.js": "text/javascript"}
REASONS = {
    "idle": "You were signed out after 15 minutes without activity.",
    "expired": "Your session reached its 8-hour limit. Sign in again.",
}
# Paths reachable without a session; the route-walking test holds this list to account.
PUBLIC_PATHS = frozenset({f"{PREFIX}/login", f"{PREFIX}/static/{{name}}"})

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute)


def _safe_next(target: str | None) -> str:
    """Only our own console paths: never an open redirect."""
    ours = bool(target) and str(target).startswith(f"{PREFIX}/")
    if ours and target and not any(bad in target for bad in ("\\", "://", "//")):
        return target
    return f"{PREFIX}/conversations"


def _login_form(
    request: Request, services: Services, message: str = "", status: int = 200,
    next_: str | None = None,
) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", None, status, login_csrf=token, message=message,
                      next=_safe_next(next_ or request.query_params.get("next")))
    response.set_cookie(LOGIN_CSRF_COOKIE, token, path=COOKIE_PATH, httponly=True,
                        samesite="strict", secure=is_https(request, services))
    return response


@router.get("/login")
def login_page(request: Request, services: Services) -> Response:
    reason = REASONS.get(request.query_params.get("reason", ""), "")
    return _login_form(request, services, reason)


@router.post("/login")
def login(
    request: Request,
    services: Services,
    username: Annotated[str, Form(max_length=128)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not (expected and secrets.compare_digest(expected, csrf_token)):
        raise HTTPException(403, "The sign-in form expired. Reload the page and try again.")
    result = services.auth.login(username, password, client_ip(request))
    if result.outcome is LoginOutcome.LOCKED:
        message = "Too many failed sign-ins. Try again in 15 minutes."
        return _login_form(request, services, message, 429, next)
    if result.outcome is not LoginOutcome.OK or result.token is None:
        return _login_form(request, services, "Wrong username or password.", 401, next)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, result.token, path=COOKIE_PATH, httponly=True,
                        samesite="strict", secure=is_https(request, services))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")
    return response


@router.post("/logout")
def logout(principal: StaffPost, services: Services) -> Response:
    services.auth.logout(principal)
    response = RedirectResponse(f"{PREFIX}/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")
    return response


@router.get("/static/{name}")
def static(name: str) -> Response:
    if name not in STATIC_FILES:
        raise HTTPException(404, "Not found.")
    response = FileResponse(STATIC_DIR / name, media_type=STATIC_FILES[name])
    response.headers["Cache-Control"] = "no-cache"
    return response


fallback = APIRouter(prefix=PREFIX, route_class=ConsoleRoute)


@fallback.get("/{rest:path}")
def not_found(rest: str, principal: Staff) -> Response:
    """Unknown console URLs: signed-in staff get a 404 with the console's headers; everyone
    else is sent to sign in (so the console's URL space is not probed anonymously)."""
    raise HTTPException(404, "No such page.")


@fallback.post("/{rest:path}")
def nothing_to_post(rest: str, principal: StaffPost) -> Response:
    raise HTTPException(404, "No such page.")
