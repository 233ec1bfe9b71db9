"""Verdicts survive JSON: to_dict -> json -> from_dict gives the same verdict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.imaging import Verdict
from tests.fixtures import dicom_factory as factory
from tests.imaging.conftest import inspect_paths


@pytest.mark.parametrize(
    "make",
    [
        lambda d: [*factory.mr_brain_study(d, slices=2), factory.report_pdf(d)],
        factory.missing_slices_series,
        factory.cd_folder,
        lambda d: [factory.screenshot(d), factory.empty_file(d), factory.zip_slip(d)],
        factory.secondary_capture_study,
        lambda d: [factory.scanned_pdf(d), factory.other_pdf(d)],
    ],
)
def test_round_trip(tmp_path: Path, make: object) -> None:
    verdict = inspect_paths(make(tmp_path), tmp_path)  # type: ignore[operator]
    data = json.loads(json.dumps(verdict.to_dict()))
    assert Verdict.from_dict(data) == verdict
    for key in ("ok", "message", "studies", "reports", "ignored", "rejected", "problems",
                "missing", "exam_type", "body_part"):
        assert key in data


def test_from_dict_tolerates_missing_keys() -> None:
    verdict = Verdict.from_dict({"ok": True, "message": "hi"})
    assert verdict.ok and verdict.studies == () and verdict.exam_type is None
