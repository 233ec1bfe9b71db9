"""A test that needs a missing tool fails under `make test` and skips elsewhere."""

from __future__ import annotations

import pytest

from tests.needs import need


def test_a_missing_tool_fails_under_make_test(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECONDREAD_TEST_EVERYTHING", "1")
    with pytest.raises(pytest.fail.Exception, match="chromium is missing"):
        need(False, "chromium")
    need(True, "chromium")  # present: nothing happens


def test_a_missing_tool_skips_on_a_developer_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECONDREAD_TEST_EVERYTHING", raising=False)
    with pytest.raises(pytest.skip.Exception):
        need(False, "node")
