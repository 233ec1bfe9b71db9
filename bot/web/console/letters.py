"""The documents of a case's conversation: the records request (what the bot wrote and when,
what has arrived since, and the letters regenerated with the case's own details: the patient's
name, date of birth and contact as the case holds them, so staff print a complete letter for the
patient to sign), and the two reports the patient compared (the differences on the case page,
the sheet as a PDF)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from fastapi import APIRouter, HTTPException, Request, Response

from bot.guidance.records_letter import (
    LetterFields,
    access_request,
    plain_text,
    third_party_authorization,
)
from bot.guidance.vocabulary import describe_scan
from bot.letters.comparisons import load_comparison
from bot.letters.pdf import render_pdf
from bot.letters.store import load_letter
from bot.staff.casework import CaseView
from bot.web.console.cases import casework
from bot.web.console.security import PREFIX, ConsoleRoute, Services, Staff

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute)
PRIVATE = {"Cache-Control": "no-store"}


def letter_for_case(stored: LetterFields | None, case: CaseView) -> LetterFields:
    """The chat's letter (center, delivery) completed with what the case holds."""
    exam = describe_scan(case.exam_type.lower(), case.body_part.lower())
    base = stored or LetterFields(center_name=case.facility or "")
    return replace(
        base,
        patient_name=case.full_name,
        date_of_birth=case.date_of_birth,
        contact=case.email or case.phone or base.contact,
        center_name=base.center_name or case.facility or "",
        exam=base.exam or ("" if exam == "scan" else exam),
        exam_dates=base.exam_dates or ((case.exam_date,) if case.exam_date else ()),
    )


@router.get("/cases/{number}/letters/{kind}.{extension}")
def case_letter(
    number: str, kind: str, extension: str, request: Request, principal: Staff,
    services: Services,
) -> Response:
    if kind not in ("request", "authorization") or extension not in ("pdf", "txt"):
        raise HTTPException(404, "No such letter.")
    case = casework(services).view(principal, number)  # audited like any view of the case
    fields = letter_for_case(load_letter(services.settings, case.conversation_id), case)
    write = third_party_authorization if kind == "authorization" else access_request
    letter = write(fields, date.today())
    if extension == "txt":
        return Response(plain_text(letter), media_type="text/plain; charset=utf-8",
                        headers=PRIVATE)
    a4 = request.query_params.get("paper") == "a4"
    pdf = render_pdf(letter, "a4" if a4 else "letter")
    return Response(pdf, media_type="application/pdf", headers={
        **PRIVATE, "Content-Disposition": f'inline; filename="case-{number}-{kind}.pdf"',
    })



@router.get("/cases/{number}/comparison.pdf")
def case_comparison(
    number: str, request: Request, principal: Staff, services: Services
) -> Response:
    case = casework(services).view(principal, number)  # audited like any view of the case
    stored = load_comparison(services.settings, case.conversation_id)
    if stored is None:
        raise HTTPException(404, "No reports were compared in this case's conversation.")
    pdf = stored.sheet(date.today(), request.query_params.get("paper"))
    return Response(pdf, media_type="application/pdf", headers={
        **PRIVATE, "Content-Disposition": f'inline; filename="case-{number}-two-reports.pdf"',
    })
