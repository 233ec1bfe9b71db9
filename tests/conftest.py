"""Fixtures shared by test directories."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.directory.fake_nppes import FakeRegistry, person, serve
from tests.integration.stack import Stack, running_stack

# Tests run in development mode (as `make test` does through scripts/env.sh): servers they start
# with os.environ generate missing keys into their own VAR_DIR. Tests of the refusal without keys
# (tests/security/test_keys.py) start their processes with an environment of their own.
os.environ.setdefault("SECONDREAD_DEV_MODE", "1")
# Tests never reach the internet: the NPI Registry is off unless a test points NPPES_URL at a
# fake server on loopback (tests/directory/).
os.environ.setdefault("NPPES_OFFLINE", "1")


DIAGNOSTIC = ("2085R0202X", "Radiology, Diagnostic Radiology")


@pytest.fixture(scope="session")
def fake_registry() -> Iterator[FakeRegistry]:
    """The NPI Registry the stack's action server asks: fictional radiologists around 19104."""
    records = [
        person("1000000111", "Nora", "Fictional", *DIAGNOSTIC, "Philadelphia", "PA", "191043246"),
        person("1000000129", "Omar", "Madeup", *DIAGNOSTIC, "Pittsburgh", "PA", "15213"),
    ]
    with serve(FakeRegistry(records)) as fake:
        yield fake


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, fake_registry: FakeRegistry) -> Iterator[Stack]:
    """One real Rasa server (loading a model takes about a minute) for the whole session, shared
    by the integration and browser tests."""
    registry = {"NPPES_URL": fake_registry.url, "NPPES_OFFLINE": "0"}
    with running_stack(tmp_path_factory.mktemp("stack"), extra_env=registry) as s:
        yield s
