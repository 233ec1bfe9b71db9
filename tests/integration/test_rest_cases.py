"""Consent → case → status → deletion through the REST channel, checking the database each step."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from bot.cases import is_valid_case_number
from tests.integration.stack import Stack

pytestmark = pytest.mark.integration


def texts(replies: list[dict[str, Any]]) -> list[str]:
    return [r.get("text", "") for r in replies]


def count(stack: Stack, sql: str, **params: Any) -> int:
    with create_engine(f"sqlite:///{stack.tracker_db}").connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


def test_consent_case_status_and_deletion(stack: Stack) -> None:
    me = f"it-case-{uuid.uuid4().hex[:10]}"
    mine = {"me": me}

    replies = stack.say(me, "/open_case")
    assert "Before I take any personal details" in texts(replies)[0]
    assert (
        count(stack, "SELECT count(*) FROM consent_records WHERE conversation_id=:me", **mine) == 0
    )

    replies = stack.say(me, '/affirm{"confirm":"consent"}')
    assert texts(replies) == ["What is the patient's full name?"]
    assert (
        count(
            stack,
            "SELECT count(*) FROM consent_records WHERE conversation_id=:me AND granted",
            **mine,
        )
        == 1
    )

    assert stack.say(me, "Maria Lopez")[-1]["text"].startswith(
        "What is the patient's date of birth"
    )
    replies = stack.say(me, "02/30/1980")  # no such day: explained and asked again
    assert texts(replies)[0].startswith("I couldn't read that as a date of birth")
    assert stack.say(me, "03/14/1980")[-1]["text"].startswith("How can our team reach you?")

    replies = stack.say(me, "maria@example.com")
    summary = texts(replies)[-1]
    assert "Maria Lopez" in summary and "March 14, 1980" in summary
    assert [b["payload"] for b in replies[-1]["buttons"]] == [
        '/affirm{"confirm":"case"}',
        '/deny{"confirm":"case"}',
    ]
    assert count(stack, "SELECT count(*) FROM cases WHERE conversation_id=:me", **mine) == 0

    replies = stack.say(me, '/affirm{"confirm":"case"}')
    number = stack.tracker(me)["slots"]["case_number"]
    assert is_valid_case_number(number)
    assert number in texts(replies)[0]
    assert (
        count(
            stack,
            "SELECT count(*) FROM cases WHERE number=:n AND conversation_id=:me AND channel='rest'",
            n=number,
            **mine,
        )
        == 1
    )

    # Asking again returns the same case (idempotent).
    stack.say(me, "/open_case")
    replies = stack.say(me, "yes")
    assert f"You already have a case from this chat: {number}" in texts(replies)[0]
    assert count(stack, "SELECT count(*) FROM cases WHERE conversation_id=:me", **mine) == 1

    assert "case number" in stack.say(me, "/check_case_status")[-1]["text"]
    stack.say(me, number.lower())
    replies = stack.say(me, "03/14/1980")
    assert texts(replies)[0].startswith(f"Case {number}:")
    assert (
        count(
            stack, "SELECT count(*) FROM status_lookup_attempts WHERE conversation_id=:me", **mine
        )
        == 1
    )

    assert count(stack, "SELECT count(*) FROM events WHERE sender_id=:me", **mine) > 0
    replies = stack.say(me, "/delete_my_data")
    assert "permanently delete" in texts(replies)[0]
    replies = stack.say(me, '/affirm{"confirm":"delete"}')
    assert texts(replies)[0].startswith("Done: I've deleted your case")
    assert count(stack, "SELECT count(*) FROM cases WHERE conversation_id=:me", **mine) == 0
    assert count(stack, "SELECT count(*) FROM patients WHERE conversation_id=:me", **mine) == 0
    assert (
        count(stack, "SELECT count(*) FROM consent_records WHERE conversation_id=:me", **mine) == 0
    )
    # Rasa's tracker store erased the conversation when it saved that turn: only the
    # `action_listen` that followed the erasure is stored.
    assert count(stack, "SELECT count(*) FROM events WHERE sender_id=:me", **mine) == 1
    assert (
        count(
            stack,
            "SELECT count(*) FROM events WHERE sender_id=:me AND action_name='action_listen'",
            **mine,
        )
        == 1
    )
    # Only an audit entry without personal data is left.
    with create_engine(f"sqlite:///{stack.tracker_db}").connect() as conn:
        audit = list(conn.execute(text("SELECT action, target_ref, details FROM audit_entries")))
    assert "patient_data.deleted" in [row[0] for row in audit]
    assert "Maria" not in repr(audit) and "1980-03-14" not in repr(audit) and me not in repr(audit)
