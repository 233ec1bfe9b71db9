"""Admins see who has access and can cut it off; agents cannot."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.console.conftest import audit_actions, csrf_of


def test_admins_see_accounts_and_live_sessions(
    admin: TestClient, agent: TestClient
) -> None:
    page = admin.get("/console/staff")
    assert page.status_code == 200
    assert "<td>alex</td>" in page.text and "<td>Alex</td>" in page.text
    assert page.text.count("Sign out everywhere") == 1  # alex's; never one's own
    assert agent.get("/console/staff").status_code == 403
    token = csrf_of(agent)
    assert agent.post("/console/staff/ada/disable", data={"csrf_token": token}).status_code == 403


def test_disable_and_end_sessions(
    admin: TestClient, signed_in: Callable[[str], TestClient], sessions: sessionmaker[Session]
) -> None:
    token = csrf_of(admin, "/console/staff")
    first = signed_in("alex")
    done = admin.post("/console/staff/alex/end-sessions", data={"csrf_token": token})
    assert done.status_code == 303
    assert first.get("/console/conversations").status_code == 303  # signed out
    second = signed_in("alex")  # may sign in again
    assert admin.post("/console/staff/alex/disable", data={"csrf_token": token}).status_code == 303
    assert second.get("/console/conversations").status_code == 303
    assert "<td>disabled</td>" in admin.get("/console/staff").text
    assert admin.post("/console/staff/alex/enable", data={"csrf_token": token}).status_code == 303
    assert signed_in("alex").get("/console/conversations").status_code == 200
    own = admin.post("/console/staff/ada/disable", data={"csrf_token": token})
    assert own.status_code == 400
    nobody = admin.post("/console/staff/nobody/disable", data={"csrf_token": token})
    assert nobody.status_code == 404
    actions = [a for a in audit_actions(sessions) if a[1] in (
        "staff.sessions_ended", "staff.disabled", "staff.enabled")]
    assert actions == [("ada", "staff.sessions_ended"), ("ada", "staff.disabled"),
                       ("ada", "staff.enabled")]
