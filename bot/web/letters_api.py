"""The patient's records-request letter as a PDF or text download.

The link the bot sends carries a `letter` token bound to one conversation (the widget's own
`conversation` token works too): it opens that conversation's latest letter and nothing else.
Kinds: `request` (the patient's HIPAA access request), `authorization` (for a third party) and
`follow-up` (the note naming what the center left out, `?missing=dicom&missing=report`).
"""

from __future__ import annotations

import asyncio
from datetime import date

from fastapi import APIRouter, Request, Response

from bot.config import Settings
from bot.guidance.records_letter import (
    MISSING,
    Letter,
    LetterFields,
    access_request,
    plain_text,
    third_party_authorization,
    wrong_delivery_note,
)
from bot.letters.pdf import render_pdf
from bot.letters.store import load_letter
from bot.security.tokens import InvalidToken, verify_token

KINDS = ("request", "authorization", "follow-up")


def _write(kind: str, fields: LetterFields, missing: list[str]) -> Letter:
    if kind == "authorization":
        return third_party_authorization(fields, date.today())
    if kind == "follow-up":  # ?missing=dicom&missing=report: what the center left out
        return wrong_delivery_note(fields, [m for m in missing if m in MISSING], date.today())
    return access_request(fields, date.today())
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def letters_router(settings: Settings) -> APIRouter:
    router = APIRouter()

    @router.get("/letters/{kind}.{extension}")
    async def letter(kind: str, extension: str, request: Request) -> Response:
        token = request.headers.get("authorization") or request.query_params.get("token", "")
        try:
            claims = verify_token(settings.secret_key, token, ("letter", "conversation"))
        except InvalidToken:
            return Response("This link has expired or is not valid.", 401, headers=PRIVATE)
        if kind not in KINDS or extension not in ("pdf", "txt"):
            return Response("No such letter.", 404, headers=PRIVATE)
        fields = await asyncio.to_thread(load_letter, settings, claims.conversation_id)
        if fields is None:
            return Response("No letter has been written in this conversation.", 404,
                            headers=PRIVATE)
        written = _write(kind, fields, request.query_params.getlist("missing"))
        if extension == "txt":
            return Response(plain_text(written), media_type="text/plain; charset=utf-8",
                            headers=PRIVATE)
        a4 = request.query_params.get("paper") == "a4"
        pdf = await asyncio.to_thread(render_pdf, written, "a4" if a4 else "letter")
        return Response(pdf, media_type="application/pdf", headers={
            **PRIVATE, "Content-Disposition": f'attachment; filename="records-{kind}.pdf"',
        })

    return router
