"""Rendering console pages (Jinja2 autoescapes every value: patient text is never markup)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from bot.guidance import vocabulary
from bot.guidance.subspecialty import SUBSPECIALTIES
from bot.notify.telegram.ids import PREFIX as TELEGRAM_PREFIX
from bot.staff.records import Principal
from bot.web.console.security import PREFIX
from bot.web.console.uploads import studies_of

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parents[1] / "templates"))


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def _segment(value: str) -> str:
    return quote(value, safe="")


# Plain words for the codes the bot stores (one vocabulary, shared with the patient's texts).


def _capitalized(words: str) -> str:
    return words[:1].upper() + words[1:]


def _channel(value: str | None, conversation_id: str = "") -> str:
    """The channel as staff know it. Telegram reaches Rasa through the REST channel (the
    bridge), so a Telegram conversation is told by its id."""
    if conversation_id.startswith(TELEGRAM_PREFIX):
        return vocabulary.CHANNELS["telegram"]
    return vocabulary.CHANNELS.get(value or "unknown", value or "")


def _topic(intent: str | None) -> str:
    if not intent:
        return ""
    return vocabulary.TOPICS.get(intent, intent.replace("_", " "))


def _subspecialty(key: str | None) -> str:
    found = SUBSPECIALTIES.get(key or "")
    return _capitalized(found.name) if found else (key or "—").replace("_", " ")


def _situation(key: str | None) -> str:
    """A situation key in words; anything else (a patient's own words) as it is."""
    return _capitalized(vocabulary.SITUATIONS.get(key or "", key or "—"))


def _blocks(text: str | None) -> Markup:
    """A message as paragraphs, with its "- " lines as a bulleted list (every piece escaped)."""
    html: list[str] = []
    items: list[str] = []
    for line in (text or "").splitlines():
        stripped = line.strip()
        if stripped.startswith(("- ", "• ", "* ")):
            items.append(f"<li>{escape(stripped[2:].strip())}</li>")
            continue
        if items:
            html.append(f"<ul>{''.join(items)}</ul>")
            items = []
        if stripped:
            html.append(f"<p>{escape(stripped)}</p>")
    if items:
        html.append(f"<ul>{''.join(items)}</ul>")
    return Markup("".join(html))  # built from escaped pieces only


TEMPLATES.env.filters["when"] = _when
TEMPLATES.env.filters["segment"] = _segment
TEMPLATES.env.filters["channel"] = _channel
TEMPLATES.env.filters["topic"] = _topic
TEMPLATES.env.filters["exam"] = vocabulary.exam_words
TEMPLATES.env.filters["subspecialty"] = _subspecialty
TEMPLATES.env.filters["situation"] = _situation
TEMPLATES.env.filters["blocks"] = _blocks
TEMPLATES.env.filters["studies"] = studies_of


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
