"""Reading one DICOM header: values, pixel data checks, identities, DICOMDIR."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from pydicom.uid import generate_uid

from bot.imaging.dicom import (
    DamagedDicom,
    DicomDirectory,
    Instance,
    PixelState,
    decoder_available,
    read_dicom,
)
from bot.imaging.exam import body_part_for, exam_type_for
from bot.imaging.sniff import HEAD_SIZE, sniff
from bot.imaging.studies import _missing_ranges, compression_name
from tests.fixtures import dicom_factory as factory

SALT = b"0123456789abcdef"


def read(data: bytes) -> Instance | DicomDirectory | None:
    return read_dicom(io.BytesIO(data), len(data), sniff(data[:HEAD_SIZE], len(data)), SALT)


def read_path(path: Path) -> Instance:
    found = read(path.read_bytes())
    assert isinstance(found, Instance)
    return found


def test_header_values(tmp_path: Path) -> None:
    [path] = factory.ct_series(tmp_path, slices=1)
    instance = read_path(path)
    assert instance.modality == "CT"
    assert instance.study_date == date(2026, 11, 12)
    assert instance.body_part_examined == "HEAD"
    assert (instance.series_number, instance.instance_number) == (1, 1)
    assert instance.age_years == 56
    assert instance.pixels is PixelState.INTACT
    assert instance.is_image
    assert instance.transfer_syntax == "1.2.840.10008.1.2.1"


def test_age_from_birth_date_when_patient_age_is_missing(tmp_path: Path) -> None:
    [path] = factory.write_series(tmp_path, slices=1, rows=4, cols=4, patient_age=None)
    assert read_path(path).age_years == 56  # born 1 Jan 1970, scanned 12 Nov 2026


@pytest.mark.parametrize(("age", "years"), [("045Y", 45), ("018M", 1), ("010W", 0),
                                            ("400D", 1)])
def test_patient_age_units(tmp_path: Path, age: str, years: int) -> None:
    [path] = factory.write_series(tmp_path, slices=1, rows=4, cols=4, patient_age=age)
    assert read_path(path).age_years == years


def test_identity_is_hashed(tmp_path: Path) -> None:
    [path] = factory.ct_series(tmp_path, slices=1)
    identity = read_path(path).identity
    assert len(identity.name_tokens) == 2
    text = repr(identity).encode()
    assert b"DOE" not in text and b"19700101" not in text
    assert identity.birth_date is not None and len(identity.birth_date) == 16


def test_truncated_in_pixel_data(tmp_path: Path) -> None:
    [path] = factory.write_series(tmp_path, slices=1, rows=32, cols=32)
    factory.truncate(path, 0.7)
    assert read_path(path).pixels is PixelState.TRUNCATED


def test_pixel_data_declared_shorter_than_the_image(tmp_path: Path) -> None:
    ds = factory.image_dataset(study_uid=generate_uid(), series_uid=generate_uid(), rows=8,
                               cols=8, pixel_data=bytes(64))  # 8x8x16 bits needs 128
    path = tmp_path / "short"
    ds.save_as(path, enforce_file_format=True)
    assert read_path(path).pixels is PixelState.TRUNCATED


def test_truncated_before_pixel_data(tmp_path: Path) -> None:
    [path] = factory.write_series(tmp_path, slices=1, rows=32, cols=32)
    factory.truncate(path, 900)
    assert read_path(path).pixels is PixelState.TRUNCATED


def test_jpeg_fragments_are_walked(tmp_path: Path) -> None:
    [path] = factory.jpeg_series(tmp_path, slices=1, rows=32, cols=32)
    instance = read_path(path)
    assert instance.pixels is PixelState.INTACT
    assert instance.transfer_syntax == "1.2.840.10008.1.2.4.50"
    factory.truncate(path, path.stat().st_size - 10)
    assert read_path(path).pixels is PixelState.TRUNCATED


def test_dose_report_has_no_pixels(tmp_path: Path) -> None:
    instance = read_path(factory.dose_report(tmp_path))
    assert instance.pixels is PixelState.ABSENT
    assert not instance.is_image


def test_encapsulated_pdf_document_is_kept(tmp_path: Path) -> None:
    pdf = factory.text_pdf_bytes()
    instance = read_path(factory.encapsulated_pdf_dicom(tmp_path, pdf))
    assert instance.document is not None and instance.document.startswith(b"%PDF-")


def test_dicomdir_lists_referenced_instances(tmp_path: Path) -> None:
    paths = factory.cd_folder(tmp_path, slices=2)
    [dicomdir] = [path for path in paths if path.name == "DICOMDIR"]
    found = read(dicomdir.read_bytes())
    assert isinstance(found, DicomDirectory)
    images = {read_path(path).sop_uid for path in paths if path.name.startswith("IM")}
    assert found.referenced_instances == images


def test_damaged_part10_raises_damaged_dicom() -> None:
    data = b"\x00" * 128 + b"DICM" + b"\x02\x00\x10\x00UI\x40\x00" + b"1.2"
    with pytest.raises(DamagedDicom):
        read(data)


def test_headless_without_uids_is_not_dicom() -> None:
    data = b"\x08\x00\x05\x00CS\x0a\x00ISO_IR 100\x08\x00\x60\x00CS\x02\x00CT"
    assert read(data) is None


def test_compression_names_and_decoders() -> None:
    assert compression_name("1.2.840.10008.1.2.1") is None
    assert compression_name("1.2.840.10008.1.2.4.90") == "JPEG 2000"
    assert compression_name("1.2.840.10008.1.2.4.100") == "video (MPEG)"
    assert compression_name("1.2.3.4") == "an unusual compression"
    assert decoder_available("1.2.840.10008.1.2.4.50")  # pylibjpeg-libjpeg
    assert decoder_available("1.2.840.10008.1.2.4.90")  # pylibjpeg-openjpeg
    assert not decoder_available("1.2.840.10008.1.2.4.100")


def test_undecodable_compression_is_a_note_not_a_block(tmp_path: Path) -> None:
    from bot.imaging.studies import build_studies

    [path] = factory.jpeg_series(tmp_path, slices=1, rows=8, cols=8)
    instance = read_path(path)
    instance.transfer_syntax = "1.2.840.10008.1.2.4.100"
    [study], problems = build_studies([instance])
    assert [(p.code, p.blocking, p.detail) for p in problems] == [
        ("compression_unsupported", False, "video (MPEG)")]
    assert study.usable


def test_missing_ranges() -> None:
    assert _missing_ranges({1, 2, 3}) == ()
    assert _missing_ranges({1, 2, 5, 6, 8}) == ((3, 4), (7, 7))
    assert _missing_ranges({1, 100}) == ()
    assert _missing_ranges({7}) == ()


@pytest.mark.parametrize(
    ("modalities", "descriptions", "exam"),
    [
        ({"CT"}, [], "ct"), ({"MR"}, [], "mri"), ({"PT", "CT"}, [], "pet"),
        ({"US"}, [], "ultrasound"),
        ({"CR"}, [], "xray"), ({"DX"}, [], "xray"), ({"MG"}, [], "mammogram"),
        ({"NM"}, [], "nuclear"), ({"XA"}, [], "angiogram"), ({"OT"}, ["MRI KNEE"], "mri"),
        ({"OT"}, [], None),
    ],
)
def test_exam_types(modalities: set[str], descriptions: list[str], exam: str | None) -> None:
    assert exam_type_for(modalities, descriptions) == exam


@pytest.mark.parametrize(
    ("parts", "descriptions", "body_part"),
    [
        (["HEAD"], [], "brain"), (["CSPINE"], [], "spine"), (["L-SPINE"], [], "spine"),
        (["CHEST"], [], "chest"), (["ABDOMENPELVIS"], [], "abdomen"), (["KNEE"], [], "knee"),
        (["HAND"], [], "extremity"), (["WHOLEBODY"], [], "whole_body"), (["BREAST"], [], "breast"),
        ([], ["MRI LEFT SHOULDER"], "shoulder"), (["HEAD_ROUTINE"], [], "brain"),
        ([], ["CT ABD PELVIS W CONTRAST"], "pelvis"), ([], [], None),
    ],
)
def test_body_parts(parts: list[str], descriptions: list[str], body_part: str | None) -> None:
    assert body_part_for(parts, descriptions) == body_part


def test_mammogram_is_always_breast() -> None:
    assert body_part_for([], [], exam_type="mammogram") == "breast"
