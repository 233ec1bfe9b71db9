"""Conversation list, transcript, and staff review (status, tags, notes)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse, StreamingResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from bot.cases.models import Case
from bot.staff import audit
from bot.staff.casework import Casework
from bot.staff.presence import Presence, PresenceView
from bot.staff.reviews import Reviews
from bot.transcripts.listing import ConversationFilter, Flag, ReviewFilter, list_conversations
from bot.transcripts.transcript import Transcript, load_transcript
from bot.web.console import forms
from bot.web.console.security import (
    PREFIX,
    Admin,
    ConsoleRoute,
    Polling,
    Services,
    Staff,
    StaffPost,
)
from bot.web.console.templates import TEMPLATES, back_with_notice, conversation_url, render
from bot.web.console.uploads import FileKey, stream_file, uploads_of

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute)

# The live transcript: one stream lasts LIVE_SECONDS, then the browser's EventSource reconnects
# (with Last-Event-ID), which checks the session again; the database is read every tick.
LIVE_SECONDS = 300.0
LIVE_TICK_SECONDS = 1.5


def reviews(services: Services) -> Reviews:
    return Reviews(services.sessions, services.settings.secret_key, services.clock)


@router.get("")
@router.get("/")
def index(principal: Staff) -> Response:
    return RedirectResponse(f"{PREFIX}/dashboard", status_code=303)


@router.get("/conversations")
def conversation_list(request: Request, principal: Staff, services: Services) -> Response:
    q = request.query_params
    query = ConversationFilter(
        channel=forms.text(q.get("channel"), 64),
        since=forms.day_start(q.get("since")),
        until=forms.day_end(q.get("until")),
        intent=forms.text(q.get("intent"), 100),
        flag=forms.choice(Flag, q.get("flag")),
        review=forms.choice(ReviewFilter, q.get("review")),
        text=forms.text(q.get("q"), 200),
        tag=forms.text(q.get("tag"), 40),
    )
    with services.sessions() as session:
        page = list_conversations(session, query, forms.page_number(q.get("page")))
    # Listing shows no message text, so it is not a view of any one transcript: not audited.
    params = {k: v for k, v in q.items() if k != "page" and v}
    return render(request, "conversations.html", principal, page=page, filters=q,
                  flags=list(Flag), reviews=list(ReviewFilter), params=params,
                  tags=reviews(services).all_tags())


@router.get("/conversations/{conversation_id}")
def transcript(
    conversation_id: str, request: Request, principal: Staff, services: Services
) -> Response:
    with services.sessions() as session:
        found = load_transcript(session, conversation_id)
        uploads = uploads_of(session, conversation_id)
        case_number = session.scalar(
            select(Case.number).where(Case.conversation_id == conversation_id)
        )
    if found is None:
        raise HTTPException(404, "No such conversation.")
    state = reviews(services)
    with services.sessions.begin() as session:
        session.add(audit.staff_entry(
            principal, services.clock(), "conversation.viewed", "conversation",
            state.audit_ref(conversation_id)))
    presence = Presence(services.sessions, services.clock).of(conversation_id)
    return render(request, "transcript.html", principal, t=found, review=state.review_of(
        conversation_id), uploads=uploads, case_number=case_number, presence=presence,
        url=conversation_url(conversation_id), flash=request.query_params.get("done", "")[:80])


def _live_state(
    services: Services, conversation_id: str
) -> tuple[Transcript | None, PresenceView | None]:
    with services.sessions() as session:
        found = load_transcript(session, conversation_id)
    return found, Presence(services.sessions, services.clock).of(conversation_id)


def _event(name: str, data: dict[str, object], event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {name}\ndata: {json.dumps(data)}\n\n"


@router.get("/conversations/{conversation_id}/live")
async def live(
    conversation_id: str, request: Request, principal: Polling, services: Services
) -> Response:
    """Server-sent events for the open transcript while a person answers: new entries as
    rendered HTML (`items`, id = entries shown so far), the patient's presence (`presence`),
    and `paused` when someone pauses or resumes the bot. It does not keep the session alive
    (a Polling principal)."""
    found, _ = await run_in_threadpool(_live_state, services, conversation_id)
    if found is None:
        raise HTTPException(404, "No such conversation.")
    shown = request.headers.get("last-event-id") or request.query_params.get("after") or ""
    known = int(shown) if shown.isdigit() else len(found.items)
    item_template = TEMPLATES.get_template("console/transcript_item.html")

    async def events() -> AsyncIterator[str]:
        nonlocal known
        words: str | None = None
        paused = found.paused
        deadline = time.monotonic() + LIVE_SECONDS
        yield "retry: 2000\n\n"
        while time.monotonic() < deadline and not await request.is_disconnected():
            now, presence = await run_in_threadpool(_live_state, services, conversation_id)
            if now is None:  # erased by the patient meanwhile
                yield _event("gone", {})
                return
            if len(now.items) > known:
                html = "".join(item_template.render(item=item) for item in now.items[known:])
                known = len(now.items)
                yield _event("items", {"html": html}, known)
            typing_now = presence.words if presence else ""
            if typing_now != words:
                words = typing_now
                yield _event("presence", {"text": typing_now})
            if now.paused != paused:
                paused = now.paused
                yield _event("paused", {"paused": paused})
            await asyncio.sleep(LIVE_TICK_SECONDS)

    return StreamingResponse(events(), media_type="text/event-stream", headers={
        "Cache-Control": "no-store", "X-Accel-Buffering": "no",  # nginx: pass events at once
    })


@router.get("/conversations/{conversation_id}/uploads/{upload_id}/files/{position}")
def download(
    conversation_id: str, upload_id: FileKey, position: FileKey, principal: Admin,
    services: Services,
) -> Response:
    """An original file sent in the conversation (admins only; audited)."""
    found = Casework(services.sessions, services.clock).conversation_file(
        principal, services.settings.secret_key, conversation_id, upload_id, position
    )
    return stream_file(services.settings, *found)


@router.post("/conversations/{conversation_id}/review")
def set_review(
    conversation_id: str, principal: StaffPost, services: Services,
    status: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    value = status if status in ("reviewed", "follow_up") else None
    reviews(services).set_status(principal, conversation_id, value)
    return back_with_notice(conversation_url(conversation_id), "Review status saved.")


@router.post("/conversations/{conversation_id}/tags")
def add_tag(
    conversation_id: str, principal: StaffPost, services: Services,
    tag: Annotated[str, Form(max_length=60)],
) -> Response:
    reviews(services).add_tag(principal, conversation_id, tag)
    return back_with_notice(conversation_url(conversation_id), "Tag added.")


@router.post("/conversations/{conversation_id}/tags/remove")
def remove_tag(
    conversation_id: str, principal: StaffPost, services: Services,
    tag: Annotated[str, Form(max_length=60)],
) -> Response:
    reviews(services).remove_tag(principal, conversation_id, tag)
    return back_with_notice(conversation_url(conversation_id), "Tag removed.")


@router.post("/conversations/{conversation_id}/notes")
def add_note(
    conversation_id: str, principal: StaffPost, services: Services,
    body: Annotated[str, Form(max_length=5000)],
) -> Response:
    reviews(services).add_note(principal, conversation_id, body)
    return back_with_notice(conversation_url(conversation_id), "Note added.")
