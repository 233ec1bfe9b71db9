"""The action server is private (issue 13, attack 2): it listens on loopback and answers only
calls that carry the token Rasa sends; a crafted tracker without it changes nothing."""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from bot.actions.server import authorized
from bot.guidance.red_flags import emergency_guidance
from tests.integration.stack import Stack
from tests.security.servers import PYTHON, ROOT, free_port, keyed_env, migrate, process, wait_for

TRACKER = json.loads((ROOT / "tests/actions/fixtures/tracker_base.json").read_text())


@pytest.fixture(scope="module")
def action_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    """(base URL, token, log) of `python -m bot.actions.server` started as `make run` does."""
    var = tmp_path_factory.mktemp("actions")
    port = free_port()
    env = keyed_env(var, BIND_HOST="127.0.0.1", ACTION_PORT=str(port))
    migrate(env)
    log = var / "actions.log"
    with process([PYTHON, "-m", "bot.actions.server"], env, log) as proc:
        wait_for(f"http://127.0.0.1:{port}/health", 60, proc)
        yield f"http://127.0.0.1:{port}", env["ACTION_SERVER_TOKEN"], log


def call(next_action: str, text: str = "hi") -> dict[str, Any]:
    tracker = copy.deepcopy(TRACKER)
    tracker["sender_id"] = "telegram:424242"
    tracker["latest_message"] = {
        "text": text,
        "intent": {"name": "report_red_flag", "confidence": 0.99},
        "entities": [],
    }
    return {
        "next_action": next_action,
        "sender_id": tracker["sender_id"],
        "tracker": tracker,
        "domain": yaml.safe_load((ROOT / "domain.yml").read_text()),
        "version": "3.6.21",
    }


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token-of-some-length"}])
def test_a_call_without_the_token_is_refused(
    action_server: tuple[str, str, Path], headers: dict[str, str]
) -> None:
    url, _token, log = action_server
    r = httpx.post(f"{url}/webhook", json=call("action_delete_my_data"), headers=headers)
    assert r.status_code == 401
    assert "events" not in r.text
    # The action never ran: the server only logged the refusal.
    assert "refused POST /webhook" in log.read_text()


def test_the_token_in_another_place_or_form_is_refused(
    action_server: tuple[str, str, Path],
) -> None:
    url, token, _log = action_server
    body = call("action_emergency_guidance")
    for kwargs in (
        {"params": {"token": token}},  # Rasa's `token:` query parameter: not what we check
        {"headers": {"Authorization": token}},  # no scheme
        {"headers": {"Authorization": f"Bearer {token}x"}},
        {"headers": {"Authorization": f"Bearer {token[:-1]}"}},
    ):
        assert httpx.post(f"{url}/webhook", json=body, **kwargs).status_code == 401  # type: ignore[arg-type]
    assert httpx.get(f"{url}/actions").status_code == 401


def test_a_call_with_the_token_runs_the_action(action_server: tuple[str, str, Path]) -> None:
    url, token, _log = action_server
    r = httpx.post(
        f"{url}/webhook",
        json=call("action_emergency_guidance", "I have crushing chest pain"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    assert r.json()["responses"], r.text
    assert httpx.get(f"{url}/health").status_code == 200  # monitoring needs no token


def test_a_failing_call_does_not_echo_the_tracker(action_server: tuple[str, str, Path]) -> None:
    """rasa-sdk's own error handler returns the whole request (names, dates of birth)."""
    url, token, log = action_server
    body = call("action_emergency_guidance")
    body["tracker"]["latest_message"] = "Jane Example 1970-01-31"  # not a mapping: it fails
    r = httpx.post(f"{url}/webhook", json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 500
    assert "Jane Example" not in r.text
    assert "Jane Example" not in log.read_text()


def test_it_listens_on_loopback_only(action_server: tuple[str, str, Path]) -> None:
    """rasa-sdk's runner listens on 0.0.0.0; ours on BIND_HOST (127.0.0.1 here)."""
    port = int(action_server[0].rsplit(":", 1)[1])
    listening = [
        line.split()[1]
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
        + Path("/proc/net/tcp6").read_text().splitlines()[1:]
        if line.split()[3] == "0A" and int(line.split()[1].rsplit(":", 1)[1], 16) == port
    ]
    assert listening == [f"0100007F:{port:04X}"]


def test_the_comparison_needs_the_whole_bearer_header() -> None:
    assert authorized("Bearer s3cret-token", "s3cret-token")
    assert not authorized("Bearer s3cret-token", "")
    assert not authorized(None, "s3cret-token")
    assert not authorized("bearer s3cret-token ", "s3cret-token")


def test_rasa_sends_the_token_from_endpoints_yml() -> None:
    """The header Rasa's action endpoint sends is the one the server checks."""
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text())
    assert endpoints["action_endpoint"]["headers"] == {
        "Authorization": "Bearer ${ACTION_SERVER_TOKEN}"
    }


def command_lines() -> list[str]:
    lines = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            with contextlib.suppress(OSError, UnicodeDecodeError):  # gone, or not text
                lines.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode())
    return lines


@pytest.mark.integration
def test_rasa_calls_the_private_action_server_with_its_token(stack: Stack) -> None:
    replies = stack.say("security-actions", "/red_flag")
    assert any(r.get("text", "").startswith(emergency_guidance(None)[:40]) for r in replies)
    log = (Path(stack.env["VAR_DIR"]) / "actions.log").read_text()
    assert "refused" not in log


@pytest.mark.integration
def test_no_secret_is_on_a_command_line(stack: Stack) -> None:
    """`ps` shows every user every command line: Rasa's API token used to be on it."""
    lines = command_lines()
    port = stack.rasa_url.rsplit(":", 1)[1]
    assert any("rasa-serve" in line and port in line for line in lines)
    for secret in (stack.token, stack.env["ACTION_SERVER_TOKEN"], stack.secret_key):
        assert not [line for line in lines if secret in line]
