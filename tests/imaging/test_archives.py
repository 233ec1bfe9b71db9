"""ZIP checks made from the archive's index, before any entry is read."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest

from bot.imaging import InspectionLimits, inspect_files
from bot.imaging.archives import ArchiveProblem, ArchiveRejected, Budget, open_archive
from tests.fixtures import dicom_factory as factory
from tests.imaging.conftest import ignored, inspect_paths, rejected


def check(data: bytes, limits: InspectionLimits | None = None) -> list[str]:
    limits = limits or InspectionLimits()
    archive, entries = open_archive(io.BytesIO(data), len(data), limits, Budget(limits))
    archive.close()
    return [entry.name for entry in entries]


def refused(data: bytes, limits: InspectionLimits | None = None) -> ArchiveProblem:
    with pytest.raises(ArchiveRejected) as caught:
        check(data, limits)
    return caught.value.problem


def test_plain_archive_lists_its_files_not_its_folders() -> None:
    data = factory.zip_bytes({"CD/DICOM/IM1": b"a", "CD/DICOM/": b"", "report.pdf": b"b"})
    assert check(data) == ["CD/DICOM/IM1", "report.pdf"]


def test_zip_bomb_by_compression_ratio(tmp_path: Path) -> None:
    path = factory.zip_bomb(tmp_path, size=4 * 1024 * 1024)
    assert refused(path.read_bytes()) is ArchiveProblem.COMPRESSION_RATIO
    verdict = inspect_paths([path], tmp_path)
    assert not verdict.ok
    assert rejected(verdict) == {("archive", "compression_ratio"): 1}
    assert "I didn't open 1 ZIP file because" in verdict.message
    assert "zip bombs" in verdict.message


def test_small_entries_may_compress_well() -> None:
    # 512 KiB of zeros (a blank slice) compresses ~1000:1 but is under the 1 MiB threshold.
    assert check(factory.zip_bytes({"blank": bytes(512 * 1024)})) == ["blank"]


def test_too_many_entries(tmp_path: Path) -> None:
    path = factory.zip_many_entries(tmp_path, count=11)
    limits = InspectionLimits(max_zip_entries=10)
    assert refused(path.read_bytes(), limits) is ArchiveProblem.TOO_MANY_ENTRIES
    assert check(factory.zip_many_entries(tmp_path, count=10).read_bytes(), limits)


def test_default_entry_limit_is_20000(tmp_path: Path) -> None:
    path = factory.zip_many_entries(tmp_path, count=20_001)
    verdict = inspect_paths([path], tmp_path)
    assert rejected(verdict) == {("archive", "too_many_entries"): 1}
    assert verdict.files_checked == 1  # no entry was looked at


def test_total_uncompressed_size(tmp_path: Path) -> None:
    data = factory.zip_bytes({"a": bytes(600), "b": bytes(600)})
    assert refused(data, InspectionLimits(max_total_uncompressed=1000)) is ArchiveProblem.TOO_LARGE


def test_budget_is_shared_by_all_archives_of_an_upload(tmp_path: Path) -> None:
    data = factory.zip_bytes({"a": bytes(600)})
    files = [factory.source_bytes("one.zip", data), factory.source_bytes("two.zip", data)]
    verdict = inspect_files(files, InspectionLimits(max_total_uncompressed=1000))
    assert rejected(verdict)[("archive", "too_large")] == 1


@pytest.mark.parametrize(
    "name", ["../../etc/x", "/etc/passwd", "a/../../b", "..\\..\\windows\\x", "C:/x", "C:\\x"]
)
def test_zip_slip_paths(name: str) -> None:
    assert refused(factory.zip_bytes({name: b"x"})) is ArchiveProblem.UNSAFE_PATH


def test_zip_slip_fixture_is_rejected_whole(tmp_path: Path) -> None:
    verdict = inspect_paths([factory.zip_slip(tmp_path)], tmp_path)
    assert rejected(verdict) == {("archive", "unsafe_path"): 1}
    assert verdict.files_checked == 1
    assert "file paths point outside the archive" in verdict.message


def test_symlink_entry(tmp_path: Path) -> None:
    path = factory.zip_symlink(tmp_path)
    assert refused(path.read_bytes()) is ArchiveProblem.SYMLINK
    verdict = inspect_paths([path], tmp_path)
    assert "links to other places" in verdict.message


def test_password_protected_entries() -> None:
    data = bytearray(factory.zip_bytes({"IM1": b"secret"}))
    # Set "encrypted" (bit 0 of the flags) in the local and central headers.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        position = data.find(signature)
        data[position + offset] |= 0x01
    assert refused(bytes(data)) is ArchiveProblem.PROTECTED


def test_overlapping_entries_are_a_bomb() -> None:
    data = bytearray(factory.zip_bytes({"a": b"x" * 100, "b": b"y" * 100},
                                       compression=zipfile.ZIP_STORED))
    # Point the second central directory entry at the first entry's data.
    second = data.find(b"PK\x01\x02", data.find(b"PK\x01\x02") + 4)
    struct.pack_into("<L", data, second + 42, 0)
    assert refused(bytes(data)) is ArchiveProblem.OVERLAPPING


def test_damaged_archive() -> None:
    assert refused(b"PK\x03\x04" + bytes(100)) is ArchiveProblem.DAMAGED


def test_end_record_claiming_too_many_entries_is_refused_before_parsing() -> None:
    data = bytearray(factory.zip_bytes({"a": b"x"}))
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, end + 8, 0xFFFE, 0xFFFE)
    assert refused(bytes(data), InspectionLimits(max_zip_entries=100)) is (
        ArchiveProblem.TOO_MANY_ENTRIES)


def test_portal_zip_is_inspected_like_files(tmp_path: Path) -> None:
    root = tmp_path / "export"
    paths = [*factory.mr_brain_study(root, slices=3), factory.report_pdf(root)]
    archive = factory.zip_folder(tmp_path, paths, root)
    verdict = inspect_paths([archive], tmp_path)
    assert verdict.ok
    assert verdict.missing == ()
    assert verdict.studies[0].image_count == 12
    assert verdict.files_checked == 1 + len(paths)


def test_stored_zip_of_a_cd(tmp_path: Path) -> None:
    root = tmp_path / "disc"
    paths = factory.cd_folder(root, slices=2)
    archive = factory.zip_folder(tmp_path, paths, root, compression=zipfile.ZIP_STORED)
    verdict = inspect_paths([archive], tmp_path)
    assert verdict.ok
    assert ignored(verdict)[("viewer", "viewer_software")] == 3


def test_one_level_of_nesting_is_allowed(tmp_path: Path) -> None:
    series = factory.ct_series(tmp_path / "s", slices=3)
    path = factory.nested_zip(tmp_path, {p.name: p for p in series}, depth=2)
    verdict = inspect_paths([path], tmp_path)
    assert verdict.ok
    assert verdict.studies[0].image_count == 3


def test_two_levels_of_nesting_are_refused_whole(tmp_path: Path) -> None:
    series = factory.ct_series(tmp_path / "s", slices=3)
    path = factory.nested_zip(tmp_path, {p.name: p for p in series}, depth=3)
    verdict = inspect_paths([path], tmp_path)
    assert not verdict.ok
    assert verdict.studies == ()
    assert rejected(verdict) == {("archive", "too_deep"): 1}
    assert "archives inside archives" in verdict.message


def test_nested_archive_found_by_content_not_name(tmp_path: Path) -> None:
    inner = factory.zip_bytes({"deeper": factory.zip_bytes({"IM1": b"x"})})
    outer = factory.zip_bytes({"not-a-zip.bin": inner})
    verdict = inspect_files([factory.source_bytes("upload.zip", outer)])
    assert rejected(verdict) == {("archive", "too_deep"): 1}


def test_no_nesting_allowed(tmp_path: Path) -> None:
    outer = factory.zip_bytes({"inner.zip": factory.zip_bytes({"IM1": b"x"})})
    verdict = inspect_files([factory.source_bytes("upload.zip", outer)],
                            InspectionLimits(max_nesting=0))
    assert rejected(verdict) == {("archive", "too_deep"): 1}


def test_a_hostile_inner_archive_refuses_the_outer_one(tmp_path: Path) -> None:
    series = factory.ct_series(tmp_path / "s", slices=2)
    entries: dict[str, bytes | Path] = {p.name: p for p in series}
    entries["inner.zip"] = factory.zip_bytes({"../../x": b"x"})
    outer = factory.zip_bytes(entries)
    verdict = inspect_files([factory.source_bytes("upload.zip", outer)])
    assert verdict.studies == ()
    assert rejected(verdict) == {("archive", "unsafe_path"): 1}


def test_large_inner_archive_is_refused(tmp_path: Path) -> None:
    inner = factory.zip_bytes({"a": bytes(2000)}, compression=zipfile.ZIP_STORED)
    outer = factory.zip_bytes({"inner.zip": inner})
    verdict = inspect_files([factory.source_bytes("upload.zip", outer)],
                            InspectionLimits(max_nested_archive_size=1000))
    assert rejected(verdict) == {("archive", "nested_too_large"): 1}


def test_java_viewer_archive_is_ignored(tmp_path: Path) -> None:
    jar = factory.zip_bytes({"META-INF/MANIFEST.MF": b"Main-Class: Viewer\n",
                             "Viewer.class": b"\xca\xfe\xba\xbe"})
    verdict = inspect_files([factory.source_bytes("viewer.jar", jar)])
    assert ignored(verdict) == {("viewer", "viewer_software"): 1}


def test_pdf_inside_a_zip(tmp_path: Path) -> None:
    outer = factory.zip_bytes({"report.pdf": factory.text_pdf_bytes()})
    verdict = inspect_files([factory.source_bytes("upload.zip", outer)])
    assert len(verdict.reports) == 1
    limits = InspectionLimits(max_pdf_size=100)
    verdict = inspect_files([factory.source_bytes("upload.zip", outer)], limits)
    assert rejected(verdict) == {("pdf", "too_large"): 1}
    assert "too large to check" in verdict.message


def test_entry_names_never_reach_the_verdict(tmp_path: Path) -> None:
    outer = factory.zip_bytes({"Jane Doe MRI/notes.txt": b"hello", "../Jane Doe": b"x"})
    verdict = inspect_files([factory.source_bytes("Jane Doe.zip", outer)])
    assert "Jane" not in str(verdict.to_dict())
