"""Rasa REST replies → what to send on Telegram. Pure functions, no I/O.

We use Telegram's HTML parse mode: only `<`, `>` and `&` need escaping there, so html.escape is
always correct, unlike MarkdownV2 with its eighteen reserved characters. Markdown links in the
bot's texts (`[title](https://…)`) become <a> tags; bare URLs are linked by Telegram itself.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.guidance.red_flags import emergency_opening

# Telegram's limits (https://core.telegram.org/bots/api#sendmessage); we stay a little below.
MAX_TEXT = 4000
MAX_CAPTION = 1000
CHOOSE = "Please choose:"

_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")


@dataclass(frozen=True)
class Button:
    title: str
    payload: str | None = None  # sent back to Rasa when pressed
    url: str | None = None  # opens a page instead


@dataclass(frozen=True)
class Outgoing:
    """One Telegram message: text, or a photo/document with an optional caption."""

    html: str
    plain: str  # the same words without markup, if Telegram refuses the HTML
    buttons: tuple[Button, ...] = ()
    photo_url: str | None = None
    document_url: str | None = None


def to_html(text: str) -> str:
    """Escape everything, then turn markdown links with http(s) targets into <a> tags. An
    emergency reply's opening instruction is bold, so it stands out from every other reply."""
    opening = emergency_opening(text)
    if opening:
        return f"<b>{html.escape(opening, quote=False)}</b>{_linked(text[len(opening):])}"
    return _linked(text)


def _linked(text: str) -> str:
    parts: list[str] = []
    position = 0
    for match in _LINK.finditer(text):
        parts.append(html.escape(text[position : match.start()], quote=False))
        title, url = match.groups()
        parts.append(f'<a href="{html.escape(url, quote=True)}">{html.escape(title)}</a>')
        position = match.end()
    parts.append(html.escape(text[position:], quote=False))
    return "".join(parts)


def to_plain(text: str) -> str:
    return _LINK.sub(lambda m: f"{m[1]} ({m[2]})", text)


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Chunks of at most `limit` characters, cut at paragraph, line or word boundaries."""
    chunks: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = max(rest.rfind(sep, 0, limit) for sep in ("\n\n", "\n", " "))
        if cut <= 0:
            cut = limit
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks


def buttons_of(message: Mapping[str, Any]) -> tuple[Button, ...]:
    found: list[Button] = []
    for raw in message.get("buttons") or message.get("quick_replies") or []:
        if not isinstance(raw, Mapping):
            continue
        title = str(raw.get("title") or "").strip()
        payload = raw.get("payload")
        url = raw.get("url")
        if isinstance(payload, str) and payload.startswith(("http://", "https://")):
            url, payload = payload, None
        if not title or not (payload or url):
            continue
        found.append(Button(title, str(payload) if payload else None, str(url) if url else None))
    return tuple(found)


def _attachment_url(message: Mapping[str, Any]) -> str | None:
    attachment = message.get("attachment")
    if isinstance(attachment, str):
        return attachment
    if isinstance(attachment, Mapping):
        payload = attachment.get("payload")
        if isinstance(payload, Mapping) and isinstance(payload.get("src"), str):
            return str(payload["src"])
    return None


def render_message(message: Mapping[str, Any]) -> list[Outgoing]:
    """One Rasa message → Telegram messages; its buttons go on the last one."""
    text = str(message.get("text") or "")
    buttons = buttons_of(message)
    image = message.get("image")
    document = _attachment_url(message)
    out: list[Outgoing] = []
    media_url = image if isinstance(image, str) and image else document
    if media_url:
        caption = text if len(text) <= MAX_CAPTION else ""
        photo = media_url == image
        out.append(
            Outgoing(
                html=to_html(caption),
                plain=to_plain(caption),
                photo_url=media_url if photo else None,
                document_url=None if photo else media_url,
            )
        )
        if caption:
            text = ""
    out.extend(Outgoing(to_html(chunk), to_plain(chunk)) for chunk in split_text(text))
    if buttons:
        if not out:
            out.append(Outgoing(to_html(CHOOSE), CHOOSE))
        last = out[-1]
        out[-1] = Outgoing(last.html, last.plain, buttons, last.photo_url, last.document_url)
    return out


def render_messages(messages: Iterable[Mapping[str, Any]]) -> list[Outgoing]:
    """Rasa's replies in order; messages we cannot show (e.g. `custom`) are skipped."""
    return [item for message in messages for item in render_message(message)]


# domain.yml marks the questions that ask for a report to compare with
# `custom: {accepts: report_picture}`: there a photo is the report, read by OCR.
ACCEPTS_REPORT_PICTURE = {"accepts": "report_picture"}


def asks_for_report(messages: Iterable[Mapping[str, Any]]) -> bool:
    """Whether Rasa's replies of a turn ask for a report (so a photo answers them)."""
    return any(message.get("custom") == ACCEPTS_REPORT_PICTURE for message in messages)
