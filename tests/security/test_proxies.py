"""X-Forwarded-For is believed only from the proxies named in TRUSTED_PROXIES (issue 13, point 6).

uvicorn believes it from any loopback client by default, so a client on the same host (or behind
a proxy that passes the header through) could choose the address that the console's sign-in
lockout counts. The address uvicorn settles on is the one the access log prints and the console
uses (`request.client`).
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from bot.config import Settings
from tests.security.servers import PYTHON, free_port, keyed_env, migrate, process, wait_for

SPOOFED = "203.0.113.9"


def web_log(tmp_path: Path, path: str, **settings: str) -> str:
    """Start `python -m bot.web`, GET `path` with a forged X-Forwarded-For from 127.0.0.1, and
    return the web app's log."""
    port = free_port()
    env = keyed_env(tmp_path, WEB_PORT=str(port), **settings)
    migrate(env)
    log = tmp_path / "web.log"
    with process([PYTHON, "-m", "bot.web"], env, log) as proc:
        wait_for(f"http://127.0.0.1:{port}/healthz", 60, proc)
        forged = {"X-Forwarded-For": SPOOFED}
        assert httpx.get(f"http://127.0.0.1:{port}{path}", headers=forged).status_code == 200
    return log.read_text()


def client_address_seen(tmp_path: Path, **settings: str) -> str:
    """The client address of the access-log line of a request with a forged X-Forwarded-For."""
    log = web_log(tmp_path, "/healthz?probe", **settings)
    found = re.search(r"([0-9a-f.:]+):\d+ - \"GET /healthz\?probe", log)
    assert found, log[-2000:]
    return found.group(1)


def test_forwarded_for_from_an_untrusted_client_is_ignored(tmp_path: Path) -> None:
    assert client_address_seen(tmp_path) == "127.0.0.1"


def test_forwarded_for_from_a_named_proxy_is_believed(tmp_path: Path) -> None:
    assert client_address_seen(tmp_path, TRUSTED_PROXIES="127.0.0.1") == SPOOFED


def test_a_proxy_on_another_host_does_not_make_loopback_trusted(tmp_path: Path) -> None:
    assert client_address_seen(tmp_path, TRUSTED_PROXIES="10.0.0.5, 10.0.1.0/24") == "127.0.0.1"


@pytest.mark.parametrize(
    ("value", "proxies"),
    [("", ()), ("10.0.0.5", ("10.0.0.5",)), ("10.0.0.5, 10.0.1.0/24", ("10.0.0.5", "10.0.1.0/24"))],
)
def test_trusted_proxies_setting(value: str, proxies: tuple[str, ...]) -> None:
    assert Settings.from_env({"TRUSTED_PROXIES": value}).trusted_proxies == proxies


def test_the_access_log_never_shows_a_token(tmp_path: Path) -> None:
    """Upload links carry their token in the query string; uvicorn logs the query string."""
    log = web_log(tmp_path, "/healthz?probe=1&token=eyJ-a-link-token.xyz&Token=second")
    assert "eyJ-a-link-token" not in log and "second" not in log
    assert "GET /healthz?probe=1&token=[redacted]&Token=[redacted]" in log
