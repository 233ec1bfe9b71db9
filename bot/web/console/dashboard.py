"""The dashboard: activity per day, the funnel, fallbacks and misunderstood messages."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from bot.staff import audit
from bot.transcripts.stats import dashboard as figures
from bot.web.console.charts import day_chart, funnel
from bot.web.console.security import PREFIX, ConsoleRoute, Services, Staff
from bot.web.console.templates import render

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute)
PERIODS = (7, 14, 30, 90)


@router.get("/dashboard")
def dashboard(request: Request, principal: Staff, services: Services) -> Response:
    raw = request.query_params.get("days", "14")
    days = int(raw) if raw.isdigit() and int(raw) in PERIODS else 14
    today = services.clock().date()
    with services.sessions() as session:
        data = figures(session, today, days)
    with services.sessions.begin() as session:
        # It quotes patients' misunderstood messages, so it counts as a view.
        session.add(audit.staff_entry(
            principal, services.clock(), "dashboard.viewed", "dashboard", None,
            {"days": days}))
    dates = [d.day for d in data.days]
    charts = [
        day_chart("Conversations started", dates, [d.conversations for d in data.days]),
        day_chart("Cases opened", dates, [d.cases for d in data.days]),
        day_chart("Uploads checked", dates, [d.uploads_checked for d in data.days]),
    ]
    steps = funnel([
        ("Started", data.funnel.started),
        ("Finished a journey", data.funnel.journey_finished),
        ("Upload checked", data.funnel.upload_checked),
        ("Case opened", data.funnel.case_opened),
    ])
    return render(request, "dashboard.html", principal, data=data, charts=charts, steps=steps,
                  days=days, periods=PERIODS)
