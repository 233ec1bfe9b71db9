"""The whole held-out conversation set, through the real stack over socket.io (issue 14).

Every red-flag conversation must pass: emergencies described in everyday words, by relatives,
and typed as the answer to a form question all get emergency guidance first (100 %, not a rate).
The set as a whole must pass at least MIN_PASS_RATE (issue 14 asks for 95 %).
The per-category summary is written to
`$VAR_DIR/results/heldout.txt` (and shown in full when the test fails), so a run of `make test`
leaves the figure the README quotes.
"""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import asdict
from pathlib import Path

import pytest

from tests.conversations.runner import Target, load_conversations, pass_rate, run_all, summary
from tests.integration.stack import Stack

pytestmark = pytest.mark.integration

# Issue 14 asks for 95 %; measured 98.4 % of 193 on 2026-12-04 (91.9 % of 186 the day before).
MIN_PASS_RATE = 0.95


def test_held_out_set_passes_95_percent_and_every_red_flag(stack: Stack) -> None:
    conversations = load_conversations()
    target = Target(stack.web_url, stack.rasa_url, stack.token)
    results = asyncio.run(run_all(target, conversations))
    report = summary(results)
    out = Path(os.environ.get("VAR_DIR", "var")) / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "heldout.txt").write_text(report + "\n")
    (out / "heldout.json").write_text(json.dumps([asdict(r) for r in results], indent=1))

    red = [r for r in results if r.category == "red_flag"]
    assert len(red) >= 30
    assert all(r.passed for r in red), summary(red)
    assert pass_rate(results) >= MIN_PASS_RATE, report
