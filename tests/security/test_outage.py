"""No conversation goes mute when the action server goes away, and none stays mute after it is
back (issue 13, item 3).

Before: with the action server down, a message inside the case form ran ten failing actions,
Rasa's circuit breaker stopped the turn without `action_listen`, and from then on every message
of that conversation (even after the action server was back, even `/restart`) got `[]`.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from bot.channels.notices import TECHNICAL_PROBLEM
from tests.integration.stack import (
    ROOT,
    Stack,
    another_rasa,
    free_port,
    stop,
    wait_until_up,
)

pytestmark = pytest.mark.integration

CONSENT_YES = '/affirm{"confirm":"consent"}'
CASE_YES = '/affirm{"confirm":"case"}'


@contextmanager
def action_server(stack: Stack, port: int, log: Path) -> Iterator[None]:
    cmd = [str(ROOT / ".venv/bin/python"), "-m", "bot.actions.server",
           "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=stack.env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/health", proc, log, 60)
        yield
    finally:
        stop(proc)


def say(stack: Stack, rasa_url: str, sender: str, message: str) -> list[str]:
    reply = httpx.post(
        f"{rasa_url}/webhooks/rest/webhook",
        json={"message": message},
        headers=stack.auth(sender),
        timeout=120,
    )
    reply.raise_for_status()
    return [m.get("text", "") for m in reply.json()]


def test_a_form_survives_an_action_server_outage(stack: Stack, tmp_path: Path) -> None:
    action_port, rasa_port = free_port(), free_port()
    endpoint = f"http://127.0.0.1:{action_port}/webhook"
    stack = Stack(**{**stack.__dict__, "env": {**stack.env, "ACTION_ENDPOINT_URL": endpoint}})
    rasa_url = f"http://127.0.0.1:{rasa_port}"
    me = f"it-outage-{uuid.uuid4().hex[:8]}"
    with another_rasa(stack, rasa_port, tmp_path / "rasa.log") as rasa:
        wait_until_up(f"{rasa_url}/status?token={stack.token}", rasa, tmp_path / "rasa.log", 400)
        with action_server(stack, action_port, tmp_path / "actions.log"):
            assert "Before I take any personal details" in say(stack, rasa_url, me, "/open_case")[0]
            assert say(stack, rasa_url, me, CONSENT_YES) == ["What is the patient's full name?"]

        # The action server is gone: an honest sentence each time, never silence.
        assert say(stack, rasa_url, me, "Maria Lopez") == [TECHNICAL_PROBLEM]
        assert say(stack, rasa_url, me, "hello?") == [TECHNICAL_PROBLEM]

        with action_server(stack, action_port, tmp_path / "actions.log"):
            # The same conversation answers again, still in the form with its consent.
            assert say(stack, rasa_url, me, "Maria Lopez")[-1].startswith(
                "What is the patient's date of birth"
            )
            assert say(stack, rasa_url, me, "03/14/1980")[-1].startswith(
                "How can our team reach you?"
            )
            summary = say(stack, rasa_url, me, "maria@example.com")[-1]
            assert "Maria Lopez" in summary
            replies = say(stack, rasa_url, me, CASE_YES)
            assert any("SR-" in r for r in replies), replies
    with create_engine(f"sqlite:///{stack.tracker_db}").connect() as conn:
        cases = conn.execute(
            text("SELECT count(*) FROM cases WHERE conversation_id = :me"), {"me": me}
        ).scalar_one()
    assert cases == 1
