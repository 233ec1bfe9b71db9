"""Audit rows for sign-in and views and changes; admins browse them."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.cases.models import AuditEntry
from bot.staff.audit import conversation_ref
from bot.staff.records import LoginOutcome
from bot.web.console.services import ConsoleServices
from tests.console.conftest import PASSWORD, SECRET, audit_actions, csrf_of
from tests.console.rasa_events import sample_chats, store


def test_sign_in_failures_and_sign_out_are_audited(
    services: ConsoleServices, accounts: object, sessions: sessionmaker[Session]
) -> None:
    services.auth.login("ada", "wrong password!", "10.0.0.1")
    services.auth.login("my password typed as a name", "x" * 12, "10.0.0.1")
    result = services.auth.login("ada", PASSWORD, "10.0.0.2")
    assert result.outcome is LoginOutcome.OK and result.principal
    services.auth.logout(result.principal)
    actions = [a for a in audit_actions(sessions) if a[1].startswith("staff.log")]
    assert actions == [
        ("ada", "staff.login_failed"),
        ("unknown", "staff.login_failed"),  # an unknown name is not recorded
        ("ada", "staff.login"),
        ("ada", "staff.logout"),
    ]
    with sessions() as session:
        login = session.scalars(select(AuditEntry).where(AuditEntry.action == "staff.login")).one()
    assert login.source == "console"
    assert login.details["ip"] == "10.0.0.2" and len(login.details["session"]) == 12


def test_viewing_and_changing_a_conversation_is_audited_without_its_id(
    agent: TestClient, engine: Engine, sessions: sessionmaker[Session]
) -> None:
    store(engine, *sample_chats())
    assert agent.get("/console/conversations/conv-plain").status_code == 200
    token = csrf_of(agent)
    url = "/console/conversations/conv-plain"
    agent.post(f"{url}/review", data={"csrf_token": token, "status": "reviewed"})
    agent.post(f"{url}/tags", data={"csrf_token": token, "tag": "billing"})
    agent.post(f"{url}/notes", data={"csrf_token": token, "body": "Patient Jane asked twice"})
    with sessions() as session:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.target_type == "conversation")
        ).all()
    assert [r.action for r in rows] == [
        "conversation.viewed",
        "conversation.review_set",
        "conversation.tag_added",
        "conversation.note_added",
    ]
    ref = conversation_ref(SECRET, "conv-plain")
    assert {r.target_ref for r in rows} == {ref} and {r.actor for r in rows} == {"alex"}
    assert all(r.details["ip"] == "testclient" for r in rows)
    text = " ".join(str(r.details) + str(r.target_ref) for r in rows)
    assert "conv-plain" not in text and "Jane" not in text  # no id, no note text
    assert rows[-1].details["length"] == len("Patient Jane asked twice")


def test_admins_browse_and_filter_the_audit_trail(
    admin: TestClient, agent: TestClient, engine: Engine, sessions: sessionmaker[Session]
) -> None:
    store(engine, *sample_chats())
    agent.get("/console/conversations/conv-urgent")
    page = admin.get("/console/audit", params={"conversation": "conv-urgent"})
    assert page.status_code == 200
    assert "conversation.viewed" in page.text and "alex" in page.text
    assert "staff.login" not in page.text  # filtered to that conversation
    everything = admin.get("/console/audit", params={"action": "staff."}).text
    assert "staff.login" in everything and "conversation.viewed" not in everything
    assert ("ada", "audit.viewed") in audit_actions(sessions)
