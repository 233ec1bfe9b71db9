"""The action server registers every action the domain lists, and nothing else breaks it."""

from __future__ import annotations

from typing import Any

from rasa_sdk.executor import ActionExecutor


def test_action_server_registers_every_domain_action(domain: dict[str, Any]) -> None:
    executor = ActionExecutor()
    executor.register_package("bot.actions")  # raises if a base class cannot be named
    registered = set(executor.actions)
    custom = {a for a in domain["actions"] if a.startswith(("action_", "validate_"))}
    assert custom <= registered, custom - registered
