"""Console-wide protections: security headers on every response (errors included), sign-in
required, CSRF tokens on every state change, admin-only pages.

Headers are added by a route class rather than app middleware, so they cover exactly the
console's routes and the app's other pages keep their own policies.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute

from bot.cases.records import CaseNotFound
from bot.cases.status import InvalidTransition
from bot.notify.takeover import TakeoverFailed
from bot.staff.exports import UploadNotFound
from bot.staff.records import AccountNotFound, FileNotFound, Principal, Refused, SessionEnd
from bot.web.console.services import ConsoleServices, console_services

SESSION_COOKIE = "sr_console"
LOGIN_CSRF_COOKIE = "sr_console_login"
COOKIE_PATH = "/console"
PREFIX = "/console"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    # Patient data must not linger in browser or proxy caches.
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class NotSignedIn(Exception):
    def __init__(self, reason: SessionEnd) -> None:
        super().__init__(reason.value)
        self.reason = reason


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def is_https(request: Request, services: ConsoleServices) -> bool:
    return request.url.scheme == "https" or services.settings.public_url.startswith("https:")


def signed_in(
    request: Request, services: Annotated[ConsoleServices, Depends(console_services)]
) -> Principal:
    found = services.auth.resolve(request.cookies.get(SESSION_COOKIE), client_ip(request))
    if isinstance(found, SessionEnd):
        raise NotSignedIn(found)
    request.state.principal = found
    return found


def signed_in_polling(
    request: Request, services: Annotated[ConsoleServices, Depends(console_services)]
) -> Principal:
    """Like signed_in, for background requests: they do not count as activity."""
    found = services.auth.resolve(
        request.cookies.get(SESSION_COOKIE), client_ip(request), activity=False
    )
    if isinstance(found, SessionEnd):
        raise NotSignedIn(found)
    return found


def admin_only(principal: Annotated[Principal, Depends(signed_in)]) -> Principal:
    if not principal.is_admin:
        raise HTTPException(403, "This page is for administrators.")
    return principal


def _same_origin(request: Request, services: ConsoleServices) -> bool:
    """A named foreign Origin is refused (a second line of defence behind the token and the
    SameSite cookie). Under our `Referrer-Policy: no-referrer` browsers send `Origin: null`
    even for our own forms, so "null" and a missing header leave it to the token."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True
    ours = {str(request.base_url).rstrip("/"), services.settings.public_url.rstrip("/")}
    return origin.rstrip("/") in ours


async def csrf_checked(
    request: Request,
    principal: Annotated[Principal, Depends(signed_in)],
    services: Annotated[ConsoleServices, Depends(console_services)],
) -> Principal:
    """The signed-in principal, once the request proved it came from one of our forms."""
    if not _same_origin(request, services):
        raise HTTPException(403, "The request came from another site.")
    sent = request.headers.get("X-CSRF-Token")
    if sent is None:
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not sent or not secrets.compare_digest(sent, principal.csrf_token):
        raise HTTPException(403, "The form expired or did not come from this console. Reload.")
    return principal


async def admin_csrf_checked(
    principal: Annotated[Principal, Depends(csrf_checked)],
) -> Principal:
    return admin_only(principal)


Staff = Annotated[Principal, Depends(signed_in)]
Polling = Annotated[Principal, Depends(signed_in_polling)]
Admin = Annotated[Principal, Depends(admin_only)]
StaffPost = Annotated[Principal, Depends(csrf_checked)]
AdminPost = Annotated[Principal, Depends(admin_csrf_checked)]
Services = Annotated[ConsoleServices, Depends(console_services)]


def _signed_out(request: Request, reason: SessionEnd) -> Response:
    # A page gets the sign-in form; what scripts fetch (state, the live stream) gets a 401.
    if request.method in ("GET", "HEAD") and not request.url.path.endswith((".json", "/live")):
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        location = f"{PREFIX}/login?next={quote(target, safe='')}"
        if reason is not SessionEnd.MISSING:
            location += f"&reason={reason.value}"
        response: Response = RedirectResponse(location, status_code=303)
    else:
        response = HTMLResponse("Sign in first.", status_code=401)
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")
    return response


def _error(status: int, detail: str) -> Response:
    from bot.web.console.templates import error_page

    return error_page(status, detail)


# What the services raise, as the page the staff member sees: one place instead of a try/except
# in every route. Only these exceptions: a bare ValueError or LookupError is a defect (500).
NOT_FOUND: dict[type[LookupError], str] = {
    CaseNotFound: "No such case.",
    AccountNotFound: "No such account.",
    FileNotFound: "No such file.",
    UploadNotFound: "No such upload.",
}
TAKEOVER_FAILED = {  # by TakeoverFailed.step
    "pause": "Rasa could not pause the bot. Try again.",
    "reply": "Rasa did not take the reply. It was not sent.",
    "resume": "Rasa could not resume the bot. Try again.",
}


def service_error_page(error: Exception) -> Response | None:
    """The page for an exception a service raises on purpose; None for any other."""
    if isinstance(error, CaseNotFound | AccountNotFound | FileNotFound | UploadNotFound):
        return _error(404, NOT_FOUND[type(error)])
    if isinstance(error, Refused):  # a rule the staff member can act on: the message says which
        return _error(400, str(error))
    if isinstance(error, InvalidTransition):
        return _error(409, str(error))
    if isinstance(error, TakeoverFailed):
        return _error(502, TAKEOVER_FAILED.get(error.step, "Rasa did not answer. Try again."))
    return None


class ConsoleRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                response = await handler(request)
            except NotSignedIn as error:
                response = _signed_out(request, error.reason)
            except HTTPException as error:
                response = _error(error.status_code, str(error.detail))
            except RequestValidationError:
                response = _error(400, "The request was not understood.")
            except Exception as error:
                found = service_error_page(error)
                if found is None:
                    raise
                response = found
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            return response

        return guarded
