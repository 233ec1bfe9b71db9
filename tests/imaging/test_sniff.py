"""Content sniffing: the first bytes decide, never the file name."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pydicom import dcmwrite
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from bot.imaging.sniff import HEAD_SIZE, Kind, sniff
from tests.fixtures import dicom_factory as factory


def head_of(path: Path) -> tuple[bytes, int]:
    data = path.read_bytes()
    return data[:HEAD_SIZE], len(data)


def test_part10_dicom(tmp_path: Path) -> None:
    [path] = factory.ct_series(tmp_path, slices=1)
    assert sniff(*head_of(path)).kind is Kind.DICOM


def test_dicomdir_is_recognised_from_its_file_meta(tmp_path: Path) -> None:
    paths = factory.cd_folder(tmp_path, slices=1)
    [dicomdir] = [path for path in paths if path.name == "DICOMDIR"]
    assert sniff(*head_of(dicomdir)).kind is Kind.DICOMDIR


@pytest.mark.parametrize("implicit", [True, False])
def test_dicom_without_preamble(tmp_path: Path, implicit: bool) -> None:
    path = factory.dicom_without_preamble(tmp_path, implicit=implicit)
    sniffed = sniff(*head_of(path))
    assert sniffed.kind is Kind.DICOM_NO_PREAMBLE
    assert sniffed.implicit_vr is implicit


def test_bare_data_set_must_start_in_group_0008(tmp_path: Path) -> None:
    ds = factory.image_dataset(study_uid=generate_uid(), series_uid=generate_uid(), rows=4,
                               cols=4, transfer_syntax=ExplicitVRLittleEndian)
    del ds.SpecificCharacterSet, ds.ImageType, ds.SOPClassUID, ds.SOPInstanceUID
    for keyword in [element.keyword for element in ds if element.tag.group == 0x0008]:
        delattr(ds, keyword)
    buffer = io.BytesIO()
    dcmwrite(buffer, ds, enforce_file_format=True)
    data = buffer.getvalue()
    bare = data[132 + 12 + int.from_bytes(data[140:144], "little"):]
    assert bare[:2] == b"\x10\x00"  # group 0010 first
    assert sniff(bare[:HEAD_SIZE], len(bare)).kind is Kind.UNKNOWN


def test_random_bytes_starting_like_group_0008_are_not_dicom() -> None:
    data = b"\x08\x00\x05\x00" + bytes(range(256)) * 4
    assert sniff(data[:HEAD_SIZE], len(data)).kind is Kind.UNKNOWN


@pytest.mark.parametrize(
    ("data", "kind", "detail"),
    [
        (b"%PDF-1.7\n...", Kind.PDF, ""),
        (b"\r\n  garbage %PDF-1.4", Kind.PDF, ""),
        (b"PK\x03\x04rest", Kind.ZIP, ""),
        (b"PK\x05\x06" + bytes(18), Kind.ZIP, ""),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", Kind.PICTURE, "JPEG"),
        (b"\x89PNG\r\n\x1a\n....", Kind.PICTURE, "PNG"),
        (b"GIF89a....", Kind.PICTURE, "GIF"),
        (b"\x00\x00\x00\x18ftypheic....", Kind.PICTURE, "HEIC"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", Kind.PICTURE, "WebP"),
        (b"MZ\x90\x00\x03", Kind.PROGRAM, ""),
        (b"\x7fELF\x02\x01", Kind.PROGRAM, ""),
        (b"\xca\xfe\xba\xbe\x00\x00", Kind.PROGRAM, ""),
        (b"[autorun]\r\nopen=viewer.exe", Kind.AUTORUN, ""),
        (b"\xef\xbb\xbf; comment\r\n[AutoRun]\r\nopen=x", Kind.AUTORUN, ""),
        ("[autorun]\r\nopen=x".encode("utf-16"), Kind.AUTORUN, ""),
        (b"<!DOCTYPE html><html><body>", Kind.HTML, ""),
        (b"\n  <HTML>\n<HEAD><TITLE>CD</TITLE>", Kind.HTML, ""),
        (b"Hello, this is text", Kind.TEXT, ""),
        (b"<xml>not html</xml>", Kind.TEXT, ""),
        ("Befund: keine Auff\u00e4lligkeit\r\n".encode("utf-8"), Kind.TEXT, ""),
        (b"\x00\x01\x02\x03binary\x00", Kind.UNKNOWN, ""),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(32), Kind.OFFICE, "OLE2"),
        (b"{\\rtf1\\ansi Report", Kind.OFFICE, "RTF"),
        (b"", Kind.EMPTY, ""),
    ],
)
def test_magic_numbers(data: bytes, kind: Kind, detail: str) -> None:
    sniffed = sniff(data[:HEAD_SIZE], len(data))
    assert sniffed.kind is kind
    assert sniffed.detail == detail


def test_dicm_marker_wins_over_a_pdf_header_in_the_preamble() -> None:
    data = b"%PDF-1.4".ljust(128, b"\x00") + b"DICM" + b"\x02\x00\x01\x00OB\x00\x00"
    assert sniff(data, len(data)).kind is Kind.DICOM


def test_pdf_named_dcm_is_a_pdf(tmp_path: Path) -> None:
    assert sniff(*head_of(factory.pdf_named_dcm(tmp_path))).kind is Kind.PDF


def test_a_truncated_header_is_never_taken_for_dicom() -> None:
    kinds = set()
    for length in range(1, 140):
        data = (b"\x08\x00\x16\x00UI\x1a\x00" + b"1" * 200)[:length]
        kinds.add(sniff(data, len(data)).kind)
    assert kinds == {Kind.UNKNOWN}
    assert sniff(b"", 0).kind is Kind.EMPTY
