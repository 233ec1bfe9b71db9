"""Patient data stays out of logs, warnings and verdicts, even for damaged files."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import pytest

from bot.imaging import inspect_files
from tests.fixtures import dicom_factory as factory
from tests.imaging.conftest import assert_no_phi, assert_no_phi_in


def hostile_mix(root: Path) -> list[Path]:
    paths = factory.mixed_patients(root / "mixed")
    paths += factory.truncated_series(root / "cut", slices=2)
    bad_date = factory.write_series(root / "bad", slices=1, rows=4, cols=4)[0]
    data = bad_date.read_bytes().replace(b"19700101", b"1970XX01")
    bad_date.write_bytes(data)
    paths.append(bad_date)
    cut = factory.write_series(root / "header", slices=1, rows=4, cols=4)[0]
    factory.truncate(cut, 700)
    paths.append(cut)
    named = root / "DOE JANE 19700101.dcm"
    named.write_bytes(factory.text_pdf_bytes())
    paths.append(named)
    zipped = factory.zip_folder(root, paths[:2], root, name="JANE DOE.zip")
    paths.append(zipped)
    paths.append(factory.report_pdf(root))
    return paths


def test_no_phi_in_logs_warnings_or_verdict(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    paths = hostile_mix(tmp_path)
    caplog.set_level(logging.DEBUG)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        verdict = inspect_files(factory.source_files(paths, tmp_path))
    assert_no_phi(verdict)
    assert_no_phi_in(caplog.text)
    for warning in caught:
        assert_no_phi_in(str(warning.message))
    assert "mixed_patients" in [problem.code for problem in verdict.problems]


def test_pypdf_complaints_quoting_file_bytes_stay_out_of_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # pypdf quotes the bytes around a malformed object; here they hold the patient's name.
    data = factory.text_pdf_bytes().replace(b"<< /Length", b"<< W /Note (DOE JANE) /Length")
    caplog.set_level(logging.DEBUG)
    verdict = inspect_files([factory.source_bytes("report.pdf", data)])
    assert len(verdict.reports) == 1
    assert_no_phi_in(caplog.text)
