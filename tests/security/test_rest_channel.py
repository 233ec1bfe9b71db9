"""Nobody speaks as another patient over Rasa's REST channel (issue 13, item 1).

Rasa's own REST channel trusted the `sender` in the body: a stranger who could reach Rasa's
port (browsers must, for socket.io) could open a case, read its summary or delete the data of
`telegram:<chat id>` or of a widget conversation whose id they learnt.
"""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import create_engine, text

from bot.channels.notices import TECHNICAL_PROBLEM
from bot.security.tokens import issue_token
from tests.integration.stack import Stack

pytestmark = pytest.mark.integration


def post(stack: Stack, body: dict[str, object], token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return httpx.post(
        f"{stack.rasa_url}/webhooks/rest/webhook", json=body, headers=headers, timeout=60
    )


def events_of(stack: Stack, sender: str) -> int:
    with create_engine(f"sqlite:///{stack.tracker_db}").connect() as conn:
        return int(
            conn.execute(
                text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}
            ).scalar_one()
        )


def test_a_sender_id_alone_is_refused(stack: Stack) -> None:
    victim = f"telegram:{uuid.uuid4().int % 10**9}"
    for message in ("/open_case", "/check_case_status", "/delete_my_data"):
        reply = post(stack, {"sender": victim, "message": message})
        assert reply.status_code == 401
        assert "token" in reply.json()["message"]
    assert events_of(stack, victim) == 0


def test_a_token_speaks_only_for_its_own_conversation(stack: Stack) -> None:
    mine, victim = f"it-rest-{uuid.uuid4().hex[:8]}", f"telegram:{uuid.uuid4().int % 10**9}"
    token = issue_token(stack.secret_key, mine, "conversation", 600)

    refused = post(stack, {"sender": victim, "message": "/open_case"}, token)
    assert refused.status_code == 403
    assert events_of(stack, victim) == 0

    # Without a sender the token's conversation is used; with its own id too.
    for body in ({"message": "hi"}, {"sender": mine, "message": "hi"}):
        reply = post(stack, body, token)
        assert reply.status_code == 200
        assert reply.json() and all(m["recipient_id"] == mine for m in reply.json())
    assert events_of(stack, victim) == 0


@pytest.mark.parametrize(
    "forged",
    [
        "not-a-token",
        "wrong-key",
        "expired",
        "upload-scope",
    ],
)
def test_forged_expired_or_wrong_scope_tokens_are_refused(stack: Stack, forged: str) -> None:
    sender = f"it-rest-{uuid.uuid4().hex[:8]}"
    token = {
        "not-a-token": "abc.def.ghi",
        "wrong-key": issue_token("someone-elses-key-" + "x" * 20, sender, "conversation", 600),
        "expired": issue_token(stack.secret_key, sender, "conversation", 60, now=1_000_000),
        "upload-scope": issue_token(stack.secret_key, sender, "upload", 600),
    }[forged]
    reply = post(stack, {"sender": sender, "message": "hi"}, token)
    assert reply.status_code == 401
    assert events_of(stack, sender) == 0


def test_a_widget_conversation_cannot_be_written_into_by_id(stack: Stack) -> None:
    session = httpx.post(f"{stack.web_url}/api/sessions", timeout=30).json()
    widget = session["conversation_id"]
    stranger = issue_token(stack.secret_key, f"it-rest-{uuid.uuid4().hex[:8]}", "conversation", 60)
    attack = {"sender": widget, "message": "/delete_my_data"}
    assert post(stack, attack).status_code == 401
    assert post(stack, attack, stranger).status_code == 403
    assert events_of(stack, widget) == 0

    # The widget's own token is the documented way in for scripted clients.
    reply = post(stack, {"message": "hi"}, session["token"])
    assert reply.status_code == 200 and reply.json()
    assert TECHNICAL_PROBLEM not in [m.get("text") for m in reply.json()]
