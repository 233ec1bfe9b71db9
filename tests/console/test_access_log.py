"""Console request lines reach the access log without search terms or ids."""

from __future__ import annotations

import logging

import pytest

from bot.web.console.access_log import RedactConsolePaths, redact


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/console/conversations?q=Maria+Lopez", "/console/conversations?…"),
        ("/console/conversations/telegram%3A4242", "/console/conversations/…"),
        ("/console/conversations/telegram:4242/reply", "/console/conversations/…"),
        ("/console/cases/SR-2026-5N3KG8-5?done=x", "/console/cases/…?…"),
        ("/console/login?next=%2Fconsole%3Fq%3DJane", "/console/login?…"),
        ("/console/static/console.css", "/console/static/console.css"),
        ("/console/audit?conversation=abc", "/console/audit?…"),
        ("/healthz", "/healthz"),
    ],
)
def test_redact(path: str, logged: str) -> None:
    assert redact(path) == logged


def test_the_filter_rewrites_uvicorns_record() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/console/conversations?q=Jane", "1.1", 200), None,
    )
    assert RedactConsolePaths().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /console/conversations?… HTTP/1.1" 200'
    assert "uvicorn.access" in {name for name in logging.Logger.manager.loggerDict}
