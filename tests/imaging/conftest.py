"""Helpers shared by the inspection tests: run inspect_files over generated fixtures."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

from bot.imaging import InspectionLimits, Verdict, inspect_files
from tests.fixtures.dicom_factory import PHI_STRINGS, source_files


def inspect_paths(
    paths: Iterable[Path], root: Path, limits: InspectionLimits | None = None
) -> Verdict:
    verdict = inspect_files(source_files(paths, root), limits)
    assert_no_phi(verdict)
    return verdict


def assert_no_phi(verdict: Verdict) -> None:
    """No fixture patient's name, ID or birth date, in any spelling, in the verdict."""
    assert_no_phi_in(json.dumps(verdict.to_dict()))


def assert_no_phi_in(text: str) -> None:
    for secret in PHI_STRINGS:
        assert not re.search(rf"\b{re.escape(secret)}\b", text, re.IGNORECASE), secret


def problem_codes(verdict: Verdict) -> list[str]:
    return [problem.code for problem in verdict.problems]


def rejected(verdict: Verdict) -> dict[tuple[str, str], int]:
    return {(group.kind, group.reason): group.count for group in verdict.rejected}


def ignored(verdict: Verdict) -> dict[tuple[str, str], int]:
    return {(group.kind, group.reason): group.count for group in verdict.ignored}
