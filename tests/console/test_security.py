"""Route-walking security checks: every route is signed-in-only unless listed as public, every
state change is a CSRF-checked POST, and console responses carry the security headers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from bot.web.console.auth_routes import PUBLIC_PATHS
from bot.web.console.security import SECURITY_HEADERS, csrf_checked
from tests.console.conftest import csrf_of

# Routes outside the console that are public on purpose (health, widget assets and the
# widget's own session creation). Anything else must refuse an anonymous caller.
PUBLIC_ROUTES = {
    ("GET", "/healthz"),
    ("GET", "/"),
    ("GET", "/widget.js"),
    ("GET", "/widget.css"),
    ("POST", "/api/sessions"),
    # tus capability discovery (version, extensions, max size): what any tus client asks first.
    ("OPTIONS", "/api/tus"),
} | {("GET", path) for path in PUBLIC_PATHS} | {("POST", "/console/login")}


def routes(app: FastAPI) -> Iterator[tuple[str, str, Any]]:
    for context in iter_route_contexts(app.routes):
        methods = getattr(context, "methods", None) or set()
        for method in sorted(methods - {"HEAD"}):
            if context.path:
                yield method, context.path, context.original_route


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


def test_the_walk_finds_the_console(app: FastAPI) -> None:
    found = {(m, p) for m, p, _ in routes(app)}
    assert ("GET", "/console/conversations") in found
    assert ("POST", "/console/logout") in found
    assert len([p for _, p, _ in routes(app) if p.startswith("/console")]) >= 10


def test_every_non_public_route_refuses_anonymous_callers(anonymous: TestClient) -> None:
    checked = 0
    for method, path, _ in routes(anonymous.app):  # type: ignore[arg-type]
        if (method, path) in PUBLIC_ROUTES:
            continue
        response = anonymous.request(method, concrete(path))
        if path.startswith("/console"):
            if method == "GET" and not path.endswith((".json", "/live")):  # pages vs scripts
                assert response.status_code == 303, (method, path)
                assert response.headers["location"].startswith("/console/login?next=")
            else:
                assert response.status_code == 401, (method, path)
        else:
            if response.status_code == 415:  # wants a body first: give it a plausible one
                files = {"file": ("a.pdf", b"%PDF-1.4", "application/pdf")}
                response = anonymous.request(method, concrete(path), files=files)
            assert response.status_code in (401, 403), (method, path, response.status_code)
        checked += 1
    assert checked >= 10


def _depends_on(route: APIRoute, dependency: Callable[..., Any]) -> bool:
    stack = list(route.dependant.dependencies)
    while stack:
        current = stack.pop()
        if current.call is dependency:
            return True
        stack.extend(current.dependencies)
    return False


def test_every_console_post_checks_the_csrf_token(app: FastAPI) -> None:
    posts = [(p, r) for m, p, r in routes(app) if m != "GET" and p.startswith("/console")]
    assert posts
    for path, route in posts:
        if path == "/console/login":
            continue  # checked against its own pre-session token (test_auth)
        assert _depends_on(route, csrf_checked), path


def test_console_routes_change_state_only_on_post(app: FastAPI) -> None:
    methods = {m for m, p, _ in routes(app) if p.startswith("/console")}
    assert methods <= {"GET", "POST"}


@pytest.mark.parametrize("path", ["/console/login", "/console/conversations", "/console/nope"])
def test_security_headers(admin: TestClient, path: str) -> None:
    response = admin.get(path)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (path, name)
    csp = response.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp


def test_security_headers_on_redirects_and_errors(anonymous: TestClient) -> None:
    for response in (
        anonymous.get("/console/conversations"),  # redirect to sign in
        anonymous.post("/console/logout"),  # 401
        anonymous.get("/console/static/nope.js"),  # 404
    ):
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"


def test_pages_have_no_inline_script_or_style(admin: TestClient) -> None:
    page = admin.get("/console/conversations").text
    assert "<script>" not in page and "style=" not in page and "<style" not in page


def test_posts_without_a_valid_csrf_token_are_refused(
    admin: TestClient, agent: TestClient
) -> None:
    url = "/console/conversations/conv-1/review"
    assert admin.post(url, data={"status": "reviewed"}).status_code == 403
    assert admin.post(url, data={"status": "reviewed", "csrf_token": "x"}).status_code == 403
    other = csrf_of(agent)  # a valid token, but another session's
    assert admin.post(url, data={"status": "reviewed", "csrf_token": other}).status_code == 403
    assert admin.post("/console/logout", data={}).status_code == 403
    good = csrf_of(admin)
    assert admin.post(url, data={"status": "reviewed", "csrf_token": good}).status_code == 303
    header = admin.post(url, data={"status": "reviewed"}, headers={"X-CSRF-Token": good})
    assert header.status_code == 303


def test_posts_from_another_origin_are_refused(admin: TestClient) -> None:
    url = "/console/conversations/conv-1/review"
    data = {"status": "reviewed", "csrf_token": csrf_of(admin)}
    evil = admin.post(url, data=data, headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403
    ours = admin.post(url, data=data, headers={"Origin": "http://testserver"})
    assert ours.status_code == 303
    # What Chromium sends for our own forms under Referrer-Policy: no-referrer.
    opaque = admin.post(url, data=data, headers={"Origin": "null"})
    assert opaque.status_code == 303


def test_agents_cannot_read_the_audit_trail(admin: TestClient, agent: TestClient) -> None:
    assert agent.get("/console/audit").status_code == 403
    assert "Audit trail" not in agent.get("/console/conversations").text
    assert admin.get("/console/audit").status_code == 200


def test_static_files_are_whitelisted(anonymous: TestClient) -> None:
    assert anonymous.get("/console/static/console.css").status_code == 200
    assert anonymous.get("/console/static/app.py").status_code == 404


def test_no_api_docs_are_published(anonymous: TestClient) -> None:
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert anonymous.get(path).status_code == 404, path
