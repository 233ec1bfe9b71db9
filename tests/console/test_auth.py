"""Signing in and out: cookies, sessions, timeouts, lockout and redirects."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.staff.accounts import Accounts
from bot.staff.models import StaffSession, StaffUser
from bot.staff.records import LoginOutcome
from bot.web.console.services import ConsoleServices
from tests.cases.conftest import FakeClock
from tests.console.conftest import CSRF, PASSWORD, csrf_of, login


def _post_login(client: TestClient, username: str, password: str, **extra: str) -> object:
    token = CSRF.search(client.get("/console/login").text)
    assert token
    data = {"username": username, "password": password, "csrf_token": token.group(1), **extra}
    return client.post("/console/login", data=data)


def test_there_is_no_default_account(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(StaffUser)) == 0


def test_login_sets_a_strict_httponly_session_cookie(
    anonymous: TestClient, accounts: Accounts
) -> None:
    response = _post_login(anonymous, "ada", PASSWORD, next="/console/audit")
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == "/console/audit"  # type: ignore[attr-defined]
    cookie = next(
        c for c in response.headers.get_list("set-cookie")  # type: ignore[attr-defined]
        if c.startswith("sr_console=")
    )
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # plain HTTP in this test
    assert anonymous.get("/console/conversations").status_code == 200


def test_cookie_is_secure_over_https(app: FastAPI, accounts: Accounts) -> None:
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        response = _post_login(client, "ada", PASSWORD)
        cookies = response.headers.get_list("set-cookie")  # type: ignore[attr-defined]
        assert any(c.startswith("sr_console=") and "Secure" in c for c in cookies)


def test_username_is_case_insensitive(anonymous: TestClient, accounts: Accounts) -> None:
    assert _post_login(anonymous, " ADA ", PASSWORD).status_code == 303  # type: ignore[attr-defined]


def test_wrong_password_and_unknown_user_look_the_same(
    anonymous: TestClient, accounts: Accounts
) -> None:
    wrong = _post_login(anonymous, "ada", "not the password")
    unknown = _post_login(anonymous, "nobody", "not the password")
    for response in (wrong, unknown):
        assert response.status_code == 401  # type: ignore[attr-defined]
        assert "Wrong username or password." in response.text  # type: ignore[attr-defined]
    assert "sr_console" not in anonymous.cookies


def test_login_without_or_with_a_wrong_form_token_is_refused(
    anonymous: TestClient, accounts: Accounts
) -> None:
    anonymous.get("/console/login")
    data = {"username": "ada", "password": PASSWORD}
    assert anonymous.post("/console/login", data=data).status_code == 403
    data["csrf_token"] = "forged"
    assert anonymous.post("/console/login", data=data).status_code == 403
    assert "sr_console" not in anonymous.cookies


def test_every_login_creates_a_new_session(
    anonymous: TestClient, accounts: Accounts, sessions: sessionmaker[Session]
) -> None:
    anonymous.cookies.set(
        "sr_console", "chosen-by-attacker", domain="testserver.local", path="/console"
    )
    _post_login(anonymous, "ada", PASSWORD)
    first = anonymous.cookies.get("sr_console")
    assert first and first != "chosen-by-attacker"
    _post_login(anonymous, "ada", PASSWORD)
    assert anonymous.cookies.get("sr_console") != first
    with sessions() as session:
        ids = session.scalars(select(StaffSession.id)).all()
    assert len(ids) == 2 and all(len(i) == 64 for i in ids)  # digests, not tokens
    assert first not in ids


def test_open_redirects_are_refused(anonymous: TestClient, accounts: Accounts) -> None:
    for target in ("https://evil.example/", "//evil.example/console/", "/console/..//evil"):
        client_response = _post_login(anonymous, "ada", PASSWORD, next=target)
        location = client_response.headers["location"]  # type: ignore[attr-defined]
        assert location == "/console/conversations", target


def test_logout_ends_the_session(admin: TestClient) -> None:
    token = admin.cookies.get("sr_console")
    response = admin.post("/console/logout", data={"csrf_token": csrf_of(admin)})
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login"
    admin.cookies.set("sr_console", token or "", domain="testserver.local", path="/console")
    assert admin.get("/console/conversations").status_code == 303


def test_idle_timeout_after_15_minutes(admin: TestClient, clock: FakeClock) -> None:
    for _ in range(3):  # activity keeps the session alive
        clock.advance(timedelta(minutes=14, seconds=59))
        assert admin.get("/console/conversations").status_code == 200
    clock.advance(timedelta(minutes=15, seconds=1))
    response = admin.get("/console/conversations")
    assert response.status_code == 303
    assert "reason=idle" in response.headers["location"]
    clock.advance(timedelta(seconds=1))
    assert admin.get("/console/conversations").status_code == 303  # stays ended


def test_absolute_timeout_after_8_hours(admin: TestClient, clock: FakeClock) -> None:
    for _ in range(47):
        clock.advance(timedelta(minutes=10))
        assert admin.get("/console/conversations").status_code == 200
    clock.advance(timedelta(minutes=10, seconds=1))  # 8 h 0 min 1 s after sign-in
    response = admin.get("/console/conversations")
    assert response.status_code == 303
    assert "reason=expired" in response.headers["location"]
    login_page = admin.get(response.headers["location"])
    assert "8-hour limit" in login_page.text


def test_five_failures_lock_the_account_for_15_minutes(
    anonymous: TestClient, accounts: Accounts, clock: FakeClock
) -> None:
    for _ in range(4):
        assert _post_login(anonymous, "ada", "wrong password!").status_code == 401  # type: ignore[attr-defined]
    locked = _post_login(anonymous, "ada", "wrong password!")
    assert locked.status_code == 429  # type: ignore[attr-defined]
    # The right password does not help while locked.
    assert _post_login(anonymous, "ada", PASSWORD).status_code == 429  # type: ignore[attr-defined]
    clock.advance(timedelta(minutes=14, seconds=59))
    assert _post_login(anonymous, "ada", PASSWORD).status_code == 429  # type: ignore[attr-defined]
    clock.advance(timedelta(seconds=2))
    assert _post_login(anonymous, "ada", PASSWORD).status_code == 303  # type: ignore[attr-defined]


def test_the_account_lock_holds_from_every_address(
    services: ConsoleServices, accounts: Accounts
) -> None:
    for n in range(5):
        services.auth.login("ada", "wrong password!", f"10.0.0.{n}")
    assert services.auth.login("ada", PASSWORD, "10.9.9.9").outcome is LoginOutcome.LOCKED
    assert services.auth.login("alex", PASSWORD, "10.9.9.9").outcome is LoginOutcome.OK


def test_five_failures_from_one_address_lock_that_address(
    services: ConsoleServices, accounts: Accounts, clock: FakeClock
) -> None:
    for n in range(5):
        services.auth.login(f"guess{n}", "wrong password!", "10.0.0.1")
    assert services.auth.login("alex", PASSWORD, "10.0.0.1").outcome is LoginOutcome.LOCKED
    assert services.auth.login("alex", PASSWORD, "10.0.0.2").outcome is LoginOutcome.OK
    clock.advance(timedelta(minutes=15, seconds=1))
    assert services.auth.login("alex", PASSWORD, "10.0.0.1").outcome is LoginOutcome.OK


def test_failures_spread_out_do_not_lock(
    services: ConsoleServices, accounts: Accounts, clock: FakeClock
) -> None:
    for _ in range(8):
        services.auth.login("ada", "wrong password!", "10.0.0.1")
        clock.advance(timedelta(minutes=4))
        services.auth.login("ada", PASSWORD, "10.0.0.3")  # success clears the account count
    assert services.auth.login("ada", PASSWORD, "10.0.0.4").outcome is LoginOutcome.OK


def test_a_successful_login_clears_the_account_count(
    services: ConsoleServices, accounts: Accounts
) -> None:
    for _ in range(4):
        services.auth.login("ada", "wrong password!", "10.0.0.1")
    assert services.auth.login("ada", PASSWORD, "10.0.0.2").outcome is LoginOutcome.OK
    for _ in range(4):
        services.auth.login("ada", "wrong password!", "10.0.0.3")
    assert services.auth.login("ada", PASSWORD, "10.0.0.2").outcome is LoginOutcome.OK


def test_a_new_password_or_a_disabled_account_ends_sessions(
    admin: TestClient, agent: TestClient, accounts: Accounts
) -> None:
    accounts.set_password("ada", "another long passphrase")
    assert admin.get("/console/conversations").status_code == 303
    accounts.set_active("alex", False)
    assert agent.get("/console/conversations").status_code == 303
    fresh = login(TestClient(agent.app, follow_redirects=False), "alex")
    assert "sr_console" not in fresh.cookies
