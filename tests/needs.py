"""Tests that need a tool (the Rasa environment, node, Chromium, npm packages) skip when it is
missing on a developer's machine, but fail under `make test`, which installs all of them and
sets SECONDREAD_TEST_EVERYTHING=1: CI never passes by skipping."""

from __future__ import annotations

import os

import pytest


def need(present: bool, what: str) -> None:
    if present:
        return
    if os.environ.get("SECONDREAD_TEST_EVERYTHING") == "1":
        pytest.fail(f"{what} is missing; `make test` installs it", pytrace=False)
    pytest.skip(f"{what} is missing (`make test` installs it)")
