"""conversation_summary: images and report may arrive in different uploads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.imaging import conversation_summary
from tests.fixtures import dicom_factory as factory
from tests.imaging.conftest import inspect_paths


def verdict_dict(paths: list[Path], root: Path) -> dict[str, Any]:
    return inspect_paths(paths, root).to_dict()


def test_images_first_then_the_report(tmp_path: Path) -> None:
    images = verdict_dict(factory.mr_brain_study(tmp_path / "a", slices=2), tmp_path)
    summary = conversation_summary([images])
    assert (summary.has_images, summary.has_report) == (True, False)
    assert (summary.exam_type, summary.body_part) == ("mri", "brain")
    assert summary.missing == ["report"]
    assert summary.message == "I have your images (brain MRI). Still missing: the written report."

    report = verdict_dict([factory.report_pdf(tmp_path / "b")], tmp_path)
    summary = conversation_summary([images, report])
    assert (summary.has_images, summary.has_report, summary.missing) == (True, True, [])
    # The images' exam wins over the report's.
    assert summary.exam_type == "mri"
    assert "that's what a radiologist needs" in summary.message


def test_report_only(tmp_path: Path) -> None:
    summary = conversation_summary([verdict_dict([factory.report_pdf(tmp_path)], tmp_path)])
    assert (summary.has_images, summary.has_report) == (False, True)
    assert (summary.exam_type, summary.body_part) == ("ct", "brain")
    assert summary.missing == ["images"]
    assert "Still missing: the scan images" in summary.message


def test_unusable_uploads_do_not_count_as_images(tmp_path: Path) -> None:
    shots = verdict_dict([factory.screenshot(tmp_path)], tmp_path)
    broken = verdict_dict(factory.truncated_series(tmp_path / "t", slices=3), tmp_path)
    summary = conversation_summary([shots, broken])
    assert not summary.has_images
    assert summary.missing == ["images", "report"]
    assert summary.exam_type == "ct"  # known from the incomplete copy
    assert summary.message == "I don't have any usable scan images or report yet."


def test_nothing_and_garbage() -> None:
    assert conversation_summary([]).missing == ["images", "report"]
    summary = conversation_summary([{}, {"ok": "yes", "reports": "x"}, None])  # type: ignore[list-item]
    assert not summary.has_images and not summary.has_report
