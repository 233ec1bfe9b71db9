"""Rendering console pages (Jinja2 autoescapes every value: patient text is never markup)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from bot.staff.records import Principal
from bot.web.console.security import PREFIX

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parents[1] / "templates"))


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def _segment(value: str) -> str:
    return quote(value, safe="")


TEMPLATES.env.filters["when"] = _when
TEMPLATES.env.filters["segment"] = _segment


def render(
    request: Request,
    name: str,
    principal: Principal | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(
        request,
        f"console/{name}",
        {"principal": principal, "csrf": principal.csrf_token if principal else "", **context},
        status_code=status_code,
    )


def error_page(status: int, detail: str) -> HTMLResponse:
    template = TEMPLATES.get_template("console/error.html")
    return HTMLResponse(template.render(status=status, detail=detail), status_code=status)


def conversation_url(conversation_id: str) -> str:
    return f"{PREFIX}/conversations/{quote(conversation_id, safe='')}"


def case_url(number: str) -> str:
    return f"{PREFIX}/cases/{quote(number, safe='')}"


def back_with_notice(url: str, done: str) -> RedirectResponse:
    """After a form is posted: back to its page (303, so a reload does not post again), with
    the short notice of what was done."""
    return RedirectResponse(f"{url}?done={quote(done)}", status_code=303)
