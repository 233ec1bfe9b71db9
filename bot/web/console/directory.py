"""Radiologists near a ZIP code for a case, from the NPI Registry: the search patients run in the
chat, for staff (who also see the taxonomy code the results were filtered on)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from bot.directory.service import default_client, find_nearby, listed_as
from bot.guidance import nearby
from bot.web.console.cases import casework
from bot.web.console.security import PREFIX, ConsoleRoute, Services, Staff
from bot.web.console.templates import render

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute)


@router.get("/cases/{number}/radiologists")
def radiologists(number: str, request: Request, principal: Staff, services: Services) -> Response:
    case = casework(services).view(principal, number)
    postal_code = nearby.parse_zip(request.query_params.get("zip"))
    code, description = listed_as(case.suggested_subspecialty)
    result = (
        find_nearby(default_client(), case.suggested_subspecialty, postal_code)
        if postal_code else None
    )
    return render(
        request, "radiologists.html", principal, case=case, postal_code=postal_code,
        code=code, description=description, result=result,
        hint=nearby.search_hint(description, postal_code or ""),
        status_code=200 if postal_code else 400,
    )
