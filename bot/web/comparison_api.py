"""The two reports the patient compared: the full side-by-side page and the printable sheet.

The chat shows the differences as a short list and links here with a `letter` token bound to
the conversation (the widget's own `conversation` token works too): `/reports/comparison` is a
page that fits a phone (the table turns into one card per difference), and
`/reports/comparison.pdf` the "bring this to your appointment" sheet (Letter, or `?paper=a4`).
Both are made from the reports as pasted, stored encrypted (bot/letters/store.py).
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import date
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.templating import Jinja2Templates

from bot.config import Settings
from bot.letters.comparisons import StoredComparison, load_comparison
from bot.reports.doctor_questions import doctor_questions
from bot.reports.glossary import plain_words
from bot.reports.summary import KIND_LABELS, NOT_A_DIAGNOSIS, PROMPTLY
from bot.security.tokens import InvalidToken, verify_token
from bot.web.letters_api import PRIVATE

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def _page_policy(nonce: str) -> str:
    return (
        f"default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    )


def comparison_router(settings: Settings) -> APIRouter:
    router = APIRouter()

    async def compared(request: Request) -> tuple[str, StoredComparison] | Response:
        token = request.headers.get("authorization") or request.query_params.get("token", "")
        try:
            claims = verify_token(settings.secret_key, token, ("letter", "conversation"))
        except InvalidToken:
            return Response("This link has expired or is not valid.", 401, headers=PRIVATE)
        stored = await asyncio.to_thread(load_comparison, settings, claims.conversation_id)
        if stored is None:
            return Response("No reports have been compared in this conversation.", 404,
                            headers=PRIVATE)
        return token.removeprefix("Bearer "), stored

    @router.get("/reports/comparison.pdf")
    async def sheet(request: Request) -> Response:
        found = await compared(request)
        if isinstance(found, Response):
            return found
        _, stored = found
        pdf = await asyncio.to_thread(stored.sheet, date.today(), request.query_params.get("paper"))
        return Response(pdf, media_type="application/pdf", headers={
            **PRIVATE, "Content-Disposition": 'attachment; filename="two-reports.pdf"',
        })

    @router.get("/reports/comparison")
    async def page(request: Request) -> Response:
        found = await compared(request)
        if isinstance(found, Response):
            return found
        token, stored = found
        comparison = stored.comparison
        nonce = secrets.token_urlsafe(16)
        differences = [
            {"subject": d.subject, "plain": plain_words(d.finding_kind or d.subject),
             "kind": KIND_LABELS[d.kind].capitalize(), "a": d.a, "b": d.b}
            for d in comparison.differences
        ]
        return TEMPLATES.TemplateResponse(
            request, "comparison.html",
            {
                "nonce": nonce, "urgent": comparison.urgent, "promptly": PROMPTLY,
                "not_a_diagnosis": NOT_A_DIAGNOSIS, "differences": differences,
                "agreements": comparison.agreements, "questions": doctor_questions(comparison),
                "impression_a": stored.impression_a, "impression_b": stored.impression_b,
                "pdf_url": f"/reports/comparison.pdf?token={token}",
            },
            headers={**PRIVATE, "Content-Security-Policy": _page_policy(nonce)},
        )

    return router
