"""Property-based fuzzing: mutated DICOM, ZIP and PDF files never make the inspector raise or
hang, and never trip over a bug of ours (an exception raised inside bot/imaging).

FUZZ_EXAMPLES sets the number of cases (1,000 by default; `make fuzz` runs 10,000).
"""

from __future__ import annotations

import os
import tempfile
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bot.imaging.inspect as inspect_module
from bot.imaging import InspectionLimits, inspect_files
from tests.fixtures import dicom_factory as factory

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "1000"))
# A hang detector, not a benchmark: each case reads a few kilobytes.
CASE_SECONDS = 2.0
# Small limits so mutated size fields hit them quickly, and nothing big is ever read.
LIMITS = InspectionLimits(
    max_zip_entries=50, max_total_uncompressed=4 * 1024 * 1024, max_files=200,
    ratio_check_min_size=64 * 1024, max_nested_archive_size=1024 * 1024,
    max_pdf_size=1024 * 1024, max_dicomdir_size=1024 * 1024,
)
BUGS_LIVE_IN = str(Path(inspect_module.__file__).parent)


def _seeds() -> list[tuple[str, bytes]]:
    """Small valid files of every kind the inspector understands."""
    with tempfile.TemporaryDirectory() as name:
        root = Path(name)
        ct = factory.write_series(root / "ct", slices=3, rows=4, cols=4)
        jpeg = factory.jpeg_series(root / "jpeg", slices=1, rows=8, cols=8)
        cd = factory.cd_folder(root / "cd", slices=1, rows=2, cols=2)
        dicomdir = next(path for path in cd if path.name == "DICOMDIR")
        report = factory.text_pdf_bytes()
        seeds = [
            ("ct.dcm", ct[0].read_bytes()),
            ("jpeg.dcm", jpeg[0].read_bytes()),
            ("implicit.raw", factory.dicom_without_preamble(root, implicit=True).read_bytes()),
            ("explicit.raw", factory.dicom_without_preamble(root, implicit=False,
                                                          name="e.raw").read_bytes()),
            ("DICOMDIR", dicomdir.read_bytes()),
            ("dose.dcm", factory.dose_report(root / "sr").read_bytes()),
            ("report.dcm", factory.encapsulated_pdf_dicom(root / "ep", report).read_bytes()),
            ("report.pdf", report),
            ("scan.pdf", factory.scanned_pdf_bytes()),
            ("study.zip", factory.zip_bytes({"DICOM/IM1": ct[1], "DICOM/IM2": ct[2],
                                             "report.pdf": report})),
            ("nested.zip", factory.nested_zip(root, {"IM1": ct[0]}, depth=2).read_bytes()),
            ("shot.png", factory.screenshot(root, "s.png", image_format="PNG").read_bytes()),
            ("autorun.inf", b"[autorun]\r\nopen=viewer.exe\r\n"),
        ]
    return seeds


SEEDS = _seeds()


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    name, seed = draw(st.sampled_from(SEEDS))
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 6))):
        operation = draw(st.sampled_from(
            ["flip", "truncate", "insert", "delete", "overwrite", "shuffle", "duplicate"]))
        position = draw(st.integers(0, len(data)))
        if operation == "flip" and data:
            index = min(position, len(data) - 1)
            data[index] ^= 1 << draw(st.integers(0, 7))
        elif operation == "truncate":
            del data[position:]
        elif operation == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=16))
        elif operation == "delete":
            del data[position:position + draw(st.integers(1, 64))]
        elif operation == "overwrite":
            chunk = draw(st.sampled_from(
                [b"\xff\xff\xff\xff", b"\x00\x00\x00\x00", b"\xfe\xff\x00\xe0", b"\xfe\xff\xdd\xe0",
                 b"PK\x03\x04", b"%PDF-", b"DICM", b"\xe0\x7f\x10\x00", b"SQ\x00\x00"]))
            data[position:position + len(chunk)] = chunk
        elif operation == "shuffle" and len(data) > 1:
            start = min(position, len(data) - 2)
            end = min(len(data), start + draw(st.integers(2, 64)))
            piece = list(data[start:end])
            order = draw(st.permutations(range(len(piece))))
            data[start:end] = bytes(piece[i] for i in order)
        elif operation == "duplicate":
            data[position:position] = data[position:position + draw(st.integers(1, 256))]
    return name, bytes(data)


@pytest.fixture
def bugs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[BaseException]]:
    """Unexpected exceptions whose innermost frame is in bot/imaging: bugs of ours."""
    found: list[BaseException] = []

    def record(error: BaseException) -> None:
        frames = traceback.extract_tb(error.__traceback__)
        if frames and frames[-1].filename.startswith(BUGS_LIVE_IN):
            found.append(error)

    monkeypatch.setattr(inspect_module, "on_unexpected_error", record)
    yield found


# Libraries warn about the garbage they are fed; that is expected here.
@pytest.mark.filterwarnings("ignore::UserWarning")
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture],
)
@given(files=st.lists(mutated(), min_size=1, max_size=2))
def test_mutated_files_never_raise_nor_hang(
    files: list[tuple[str, bytes]], bugs: list[BaseException]
) -> None:
    sources = [factory.source_bytes(name, data) for name, data in files]
    started = time.monotonic()
    verdict = inspect_files(sources, LIMITS)
    elapsed = time.monotonic() - started
    assert elapsed < CASE_SECONDS, f"{elapsed:.2f} s"
    assert verdict.message
    assert not bugs, "".join(traceback.format_exception(bugs[0]))
    verdict.to_dict()
