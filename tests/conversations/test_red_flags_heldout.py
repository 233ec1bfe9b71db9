"""Every red-flag conversation of the held-out set, through the real stack over socket.io.

Emergencies described in everyday words, by relatives, and typed as the answer to a form
question must all get emergency guidance first: 100 %, not a pass rate.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.conversations.runner import Target, load_conversations, run_all, summary
from tests.integration.stack import Stack

pytestmark = pytest.mark.integration


def test_every_held_out_red_flag_gets_emergency_guidance_first(stack: Stack) -> None:
    red = [c for c in load_conversations() if c.category == "red_flag"]
    target = Target(stack.web_url, stack.rasa_url, stack.token)
    results = asyncio.run(run_all(target, red))
    assert all(r.passed for r in results), summary(results)
