"""Taking over a conversation: pause the bot, reply as a person, resume. Each step is audited;
the Rasa calls live in bot.notify.takeover."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Response
from starlette.concurrency import run_in_threadpool

from bot.notify.takeover import MAX_REPLY
from bot.staff import audit
from bot.staff.records import Principal
from bot.transcripts.transcript import load_transcript
from bot.web.console.security import PREFIX, ConsoleRoute, Services, StaffPost
from bot.web.console.services import ConsoleServices
from bot.web.console.templates import back_with_notice, conversation_url

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute)


def _record(
    services: ConsoleServices, principal: Principal, conversation_id: str, action: str,
    details: dict[str, object] | None = None,
) -> None:
    conversation_ref = audit.conversation_ref(services.settings.secret_key, conversation_id)
    with services.sessions.begin() as session:
        session.add(audit.staff_entry(principal, services.clock(), action, "conversation",
                                      conversation_ref, dict(details or {})))


def _paused(services: ConsoleServices, conversation_id: str) -> bool | None:
    with services.sessions() as session:
        found = load_transcript(session, conversation_id)
    return None if found is None else found.paused


async def _known(services: ConsoleServices, conversation_id: str) -> bool:
    paused = await run_in_threadpool(_paused, services, conversation_id)
    if paused is None:
        raise HTTPException(404, "No such conversation.")
    return paused


@router.post("/conversations/{conversation_id}/pause")
async def pause(conversation_id: str, principal: StaffPost, services: Services) -> Response:
    await _known(services, conversation_id)
    await services.takeover.pause(
        conversation_id, principal.account.display_name, principal.username
    )
    await run_in_threadpool(_record, services, principal, conversation_id, "conversation.paused")
    return back_with_notice(
        conversation_url(conversation_id), "The bot is paused. You are answering."
    )


@router.post("/conversations/{conversation_id}/reply")
async def reply(
    conversation_id: str, principal: StaffPost, services: Services,
    text: Annotated[str, Form(max_length=MAX_REPLY)],
) -> Response:
    if not text.strip():
        raise HTTPException(400, "Write a message first.")
    if not await _known(services, conversation_id):
        # The bot would answer too: pause first, so the patient hears one voice.
        raise HTTPException(409, "Pause the bot before replying.")
    via = await services.takeover.reply(
        conversation_id, text, principal.account.display_name, principal.username
    )
    await run_in_threadpool(_record, services, principal, conversation_id, "conversation.replied",
                            {"length": len(text.strip()), "via": via})
    return back_with_notice(conversation_url(conversation_id), "Reply sent.")


@router.post("/conversations/{conversation_id}/resume")
async def resume(conversation_id: str, principal: StaffPost, services: Services) -> Response:
    await _known(services, conversation_id)
    await services.takeover.resume(conversation_id, principal.username)
    await run_in_threadpool(_record, services, principal, conversation_id, "conversation.resumed")
    return back_with_notice(conversation_url(conversation_id), "The bot is answering again.")
