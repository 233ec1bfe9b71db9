"""Fixtures shared by test directories."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.stack import Stack, running_stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One real Rasa server (loading a model takes about a minute) for the whole session, shared
    by the integration and browser tests."""
    with running_stack(tmp_path_factory.mktemp("stack")) as s:
        yield s
