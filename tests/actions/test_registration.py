"""The action server registers every action the domain lists, and the domain lists every action
the server registers (one that is not listed can never run: dead code or a forgotten line)."""

from __future__ import annotations

from typing import Any

from rasa_sdk.executor import ActionExecutor


def test_action_server_registers_every_domain_action(domain: dict[str, Any]) -> None:
    executor = ActionExecutor()
    executor.register_package("bot.actions")  # raises if a base class cannot be named
    registered = set(executor.actions)
    custom = {a for a in domain["actions"] if a.startswith(("action_", "validate_"))}
    assert custom <= registered, custom - registered
    ours = {name for name in registered if name.startswith(("action_", "validate_"))}
    assert ours <= custom, ours - custom
