"""Case queue, case detail, notes, assignment, status changes and (admins only) downloads of
the patient's original files."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, Response

from bot.cases.status import CaseStatus
from bot.guidance.records_followup import still_missing_sentence
from bot.letters.comparisons import load_comparison
from bot.letters.requests import RecordsRequests
from bot.staff.casework import CaseFilter, Casework
from bot.web.console import forms
from bot.web.console.security import (
    PREFIX,
    Admin,
    ConsoleRoute,
    Services,
    Staff,
    StaffPost,
)
from bot.web.console.templates import back_with_notice, case_url, render
from bot.web.console.uploads import FileKey, stream_file

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute)
AGES = {"new": (None, 2), "week": (None, 7), "over7": (7, None), "over30": (30, None)}


def casework(services: Services) -> Casework:
    return Casework(services.sessions, services.clock)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@router.get("/cases")
def case_list(request: Request, principal: Staff, services: Services) -> Response:
    q = request.query_params
    older, newer = AGES.get(q.get("age", ""), (None, None))
    assigned = forms.text(q.get("assigned"), 64)
    query = CaseFilter(
        status=forms.choice(CaseStatus, q.get("status")),
        subspecialty=forms.text(q.get("subspecialty"), 64),
        older_than_days=older,
        newer_than_days=newer,
        assigned=principal.username if assigned == "me" else assigned,
        open_only=q.get("status") is None,  # by default the open queue
        number=forms.text(q.get("number"), 32),
    )
    work = casework(services)
    page = work.queue(query, forms.page_number(q.get("page")))
    params = {k: v for k, v in q.items() if k != "page" and v}
    return render(request, "cases.html", principal, page=page, filters=q, params=params,
                  statuses=list(CaseStatus), subspecialties=work.subspecialties())


@router.get("/cases/{number}")
def case_detail(number: str, request: Request, principal: Staff, services: Services) -> Response:
    work = casework(services)
    case = work.view(principal, number)
    records = RecordsRequests(services.sessions, services.clock).status(case.conversation_id)
    return render(request, "case.html", principal, case=case, staff=work.staff_names(),
                  flash=request.query_params.get("done", "")[:80], records=records,
                  records_arrival=still_missing_sentence(records.arrived) if records else "",
                  comparison=load_comparison(services.settings, case.conversation_id))


@router.post("/cases/{number}/status")
def change_status(
    number: str, principal: StaffPost, services: Services,
    to: Annotated[str, Form(max_length=32)],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    status = forms.choice(CaseStatus, to)
    if status is None:
        raise HTTPException(400, "Unknown status.")
    # CaseService writes the audit entry; its source names the session, whose sign-in entry
    # has the address.
    services.cases.change_status(number, status, principal.username, note.strip() or None,
                                 source=f"console:{principal.session_ref}")
    return back_with_notice(case_url(number), "Status changed.")


@router.post("/cases/{number}/assign")
def assign(
    number: str, principal: StaffPost, services: Services,
    username: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    casework(services).assign(principal, number, username.strip() or None)
    return back_with_notice(case_url(number), "Assignment saved.")


@router.post("/cases/{number}/notes")
def add_note(
    number: str, principal: StaffPost, services: Services,
    body: Annotated[str, Form(max_length=5000)],
) -> Response:
    casework(services).add_note(principal, number, body)
    return back_with_notice(case_url(number), "Note added.")


@router.get("/cases/{number}/uploads/{upload_id}/files/{position}")
def download(
    number: str, upload_id: FileKey, position: FileKey, principal: Admin,
    services: Services,
) -> Response:
    """The original file (admins only; audited before any byte leaves)."""
    found = casework(services).file_for_download(principal, number, upload_id, position)
    return stream_file(services.settings, *found)
