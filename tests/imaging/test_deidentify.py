"""De-identified copies (issue 22): every tag of every exported file is read back and checked
against PS3.15 Annex E's basic profile; no identifying value of the originals survives anywhere
in the ZIP; UIDs are replaced consistently across files and references still match; pixel data
is byte for byte the original's; burned-in annotation is flagged, not guessed."""

from __future__ import annotations

import io
import logging
import struct
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from pydicom import dcmread, dcmwrite
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.tag import BaseTag, Tag
from pydicom.uid import UID, ExplicitVRBigEndian, ImplicitVRLittleEndian, generate_uid

from bot.imaging.deidentify import (
    Deidentifier,
    LeftOut,
    action_for,
    copy_pixel_elements,
    write_deidentified_zip,
)
from bot.imaging.sources import SourceFile
from tests.fixtures import dicom_factory as factory
from tests.fixtures.dicom_factory import Patient, image_dataset, source_bytes

JANET = Patient("QUILLFEATHER^JANET^Q", "MRN-4471-JD", "19700101", "F")
RICHARD = Patient("ROE^RICHARD", "MRN-9902-RR", "19650505", "M")
MADE_AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
US_IMAGE = "1.2.840.10008.5.1.4.1.1.6.1"
SR_DOCUMENT = "1.2.840.10008.5.1.4.1.1.88.11"

# Every identifying value put into the fixtures below. None may appear anywhere in the copy:
# not in a header (at any depth), not in the README, not in a name inside the ZIP.
IDENTIFYING = (
    "QUILLFEATHER", "JANET", "ROE^RICHARD", "RICHARD", "MRN-4471-JD", "MRN-9902-RR", "19700101",
    "19650505", "OTHER-ID-5523", "QUILL^JAN", "MAIDEN^MARIE", "MOTHER^MAUD", "Larkspur",
    "617 555 0142", "083000", "Lighthouse man", "Fell off the lighthouse", "Prefers Jan",
    "follow-up of Jan", "Harbor Way", "HARBOR RADIOLOGY", "HARBORCT01", "TECH^TERRY",
    "PERFORMER^PAT", "READER^ROBIN", "RECORD^RHEA", "REQUEST^REX", "REFERRER^RUTH",
    "SN-778812", "head protocol JQ", "STUDY-JQ-9", "ACC-2026-7781", "PPS-5521", "RPID-3310",
    "SPS-4410", "OTHER-SEQ-ID-1", "OTHER ISSUER", "NESTED^PHYSICIAN", "NESTED^PATIENT",
    "HARBOR HOSPITAL", "CT head for Jan", "PPS for Jan", "20261112", "20261114", "20261115",
    "20261116", "20261117", "20261118", "20261119", "20261114093015", "093017", "101500",
    "City Imaging Center", "HEAD WITHOUT CONTRAST", "AXIAL 5MM", "056Y", "overlay of JQ",
    "curve of JQ", "PRIVATE-JQ", "PRIVATE-MRN", "PRIVATE-NESTED", "PRIVATE-TRAILER",
    "OBSERVER^OLIVE", "EVALUATOR^EVE", "dictated by Jan", "SIGNER-CERT", "ULTRASOUND OF JQ",
    "LEFT KIDNEY JQ",
)


# --- fixtures: an identified upload ----------------------------------------------------------


def private(ds: Dataset, group: int, creator: str, value: str) -> None:
    ds.private_block(group, creator, create=True).add_new(0x01, "LO", value)


def code(value: str, meaning: str) -> Dataset:
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, "DCM", meaning
    return item


def identify(ds: Dataset, patient: Patient, *, index: int) -> Dataset:
    """Identifying values in many attributes, at several depths, and private ones."""
    ds.OtherPatientIDs = "OTHER-ID-5523"
    ds.OtherPatientNames = "QUILL^JAN"
    ds.PatientBirthName = "MAIDEN^MARIE"
    ds.PatientMotherBirthName = "MOTHER^MAUD"
    ds.PatientAddress = "12 Larkspur Lane"
    ds.PatientTelephoneNumbers = "+1 617 555 0142"
    ds.PatientBirthTime = "083000"
    ds.PatientWeight = "71.5"
    ds.Occupation = "Lighthouse man"
    ds.AdditionalPatientHistory = "Fell off the lighthouse stairs"
    ds.PatientComments = "Prefers Jan"
    ds.ImageComments = "follow-up of Jan"
    ds.InstitutionAddress = "1 Harbor Way"
    ds.InstitutionalDepartmentName = "HARBOR RADIOLOGY"
    ds.StationName = "HARBORCT01"
    ds.OperatorsName = "TECH^TERRY"
    ds.PerformingPhysicianName = "PERFORMER^PAT"
    ds.NameOfPhysiciansReadingStudy = "READER^ROBIN"
    ds.PhysiciansOfRecord = "RECORD^RHEA"
    ds.RequestingPhysician = "REQUEST^REX"
    ds.ReferringPhysicianName = "REFERRER^RUTH"
    ds.DeviceSerialNumber = "SN-778812"
    ds.ProtocolName = "head protocol JQ"
    ds.StudyID = "STUDY-JQ-9"
    ds.AccessionNumber = "ACC-2026-7781"
    ds.IssuerOfPatientID = "HARBOR HOSPITAL"
    ds.RequestedProcedureDescription = "CT head for Jan"
    ds.PerformedProcedureStepDescription = "PPS for Jan"
    ds.PerformedProcedureStepID = "PPS-5521"
    ds.AcquisitionDate = "20261114"
    ds.ContentDate = "20261115"
    ds.InstanceCreationDate = "20261116"
    ds.PerformedProcedureStepStartDate = "20261117"
    ds.AcquisitionDateTime = "20261114093015"
    ds.ContentTime = "093017"
    ds.IrradiationEventUID = [generate_uid(), generate_uid()]
    ds.BodyPartExamined = "HEAD"  # kept: not identifying
    ds.ProcedureCodeSequence = Sequence([code("P5-0800A", "CT of head")])  # kept and cleaned

    request = Dataset()
    request.RequestedProcedureID = "RPID-3310"
    request.ScheduledProcedureStepID = "SPS-4410"
    request.ScheduledProcedureStepStartDate = "20261118"
    referenced_study = Dataset()
    referenced_study.ReferencedSOPClassUID = UID("1.2.840.10008.3.1.2.3.1")
    referenced_study.ReferencedSOPInstanceUID = ds.StudyInstanceUID
    request.ReferencedStudySequence = Sequence([referenced_study])
    ds.RequestAttributesSequence = Sequence([request])

    other_id = Dataset()
    other_id.PatientID = "OTHER-SEQ-ID-1"
    other_id.IssuerOfPatientID = "OTHER ISSUER"
    ds.OtherPatientIDsSequence = Sequence([other_id])

    referenced_patient = Dataset()
    referenced_patient.ReferencedSOPClassUID = UID("1.2.840.10008.3.1.2.1.1")
    referenced_patient.ReferencedSOPInstanceUID = generate_uid()
    ds.ReferencedPatientSequence = Sequence([referenced_patient])

    # A sequence the table does not list: kept, and its items cleaned like the top level.
    series_item = Dataset()
    series_item.SeriesInstanceUID = ds.SeriesInstanceUID
    series_item.PerformingPhysicianName = "NESTED^PHYSICIAN"
    series_item.PatientName = "NESTED^PATIENT"
    series_item.StudyDate = "20261119"
    series_item.EvaluatorName = "EVALUATOR^EVE"  # a name the table does not list: emptied too
    series_item.SeriesNumber = ds.SeriesNumber
    private(series_item, 0x0019, "NESTED PRIVATE", "PRIVATE-NESTED")
    ds.ReferencedSeriesSequence = Sequence([series_item])

    icon = Dataset()
    icon.Rows, icon.Columns, icon.BitsAllocated, icon.SamplesPerPixel = 2, 2, 8, 1
    icon.PhotometricInterpretation = "MONOCHROME2"
    icon.PixelData = b"JQJQ"
    ds.IconImageSequence = Sequence([icon])

    ds.add_new(0x60000010, "US", 2)  # overlay rows: kept (not identifying)
    ds.add_new(0x60000011, "US", 2)
    ds.add_new(0x60003000, "OW", b"\x01\x02")  # overlay data: removed
    ds.add_new(0x60004000, "LT", "overlay of JQ")  # overlay comments: removed
    ds.add_new(0x50002500, "LO", "curve of JQ")  # curve label (retired group 50xx): removed
    private(ds, 0x0029, "ACME 1.0", "PRIVATE-JQ")
    private(ds, 0x0011, "HOSPITAL", "PRIVATE-MRN")
    # After the pixel data: a private group, a digital signature and padding.
    private(ds, 0x7FE1, "TRAILER", "PRIVATE-TRAILER")
    signature = Dataset()
    signature.CertificateOfSigner = b"SIGNER-CERT-"
    ds.DigitalSignaturesSequence = Sequence([signature])
    ds.DataSetTrailingPadding = b"\x00" * 8
    if "PixelData" in ds and not ds.file_meta.TransferSyntaxUID.is_compressed:
        pixels = bytearray(ds.PixelData)
        pixels[:2] = struct.pack("<H", index)  # each file's pixels differ
        ds.PixelData = bytes(pixels)
    ds.PatientName = patient.name
    ds.PatientID = patient.patient_id
    ds.PatientBirthDate = patient.birth_date
    return ds


def ultrasound(study_uid: str, *, burned_in: str | None, number: int) -> Dataset:
    ds = image_dataset(modality="US", sop_class=US_IMAGE, patient=JANET, study_uid=study_uid,
                       series_uid=generate_uid(), series_number=10 + number, rows=8, cols=8,
                       bits=8, study_description="ULTRASOUND OF JQ",
                       series_description="LEFT KIDNEY JQ", body_part="KIDNEY")
    if burned_in is not None:
        ds.BurnedInAnnotation = burned_in
    pixels = bytearray(ds.PixelData)
    pixels[0] = number
    ds.PixelData = bytes(pixels)
    return ds


def structured_report(study_uid: str, referenced: Dataset) -> Dataset:
    ds = image_dataset(modality="SR", sop_class=SR_DOCUMENT, patient=JANET, study_uid=study_uid,
                       series_uid=generate_uid(), series_number=50, rows=2, cols=2)
    for keyword in ("Rows", "Columns", "PixelData", "BitsAllocated", "BitsStored", "HighBit",
                    "PixelRepresentation", "SamplesPerPixel", "PhotometricInterpretation",
                    "PixelSpacing", "WindowCenter", "WindowWidth", "RescaleIntercept",
                    "RescaleSlope", "ImagePositionPatient", "ImageOrientationPatient"):
        delattr(ds, keyword)
    text = Dataset()
    text.RelationshipType, text.ValueType, text.TextValue = "CONTAINS", "TEXT", "dictated by Jan"
    text.ConceptNameCodeSequence = Sequence([code("121071", "Finding")])
    observer = Dataset()
    observer.RelationshipType, observer.ValueType = "HAS OBS CONTEXT", "PNAME"
    observer.PersonName = "OBSERVER^OLIVE"
    image = Dataset()
    image.RelationshipType, image.ValueType = "CONTAINS", "IMAGE"
    reference = Dataset()
    reference.ReferencedSOPClassUID = referenced.SOPClassUID
    reference.ReferencedSOPInstanceUID = referenced.SOPInstanceUID
    image.ReferencedSOPSequence = Sequence([reference])
    ds.ContentSequence = Sequence([text, observer, image])
    return ds


@dataclass
class Upload:
    files: list[SourceFile]
    originals: dict[tuple[str, int, int], Dataset]  # by (modality, series, instance)


def encoded(ds: Dataset) -> bytes:
    out = io.BytesIO()
    dcmwrite(out, ds, enforce_file_format=True)
    return out.getvalue()


def key_of(ds: Dataset) -> tuple[str, int, int]:
    return str(ds.Modality), int(ds.SeriesNumber), int(ds.InstanceNumber)


@pytest.fixture
def upload(tmp_path: Path) -> Upload:
    """Two studies of two people: a CT series whose images reference each other, ultrasound
    images with Burned In Annotation absent / NO / YES, a structured report referencing an
    image, an implicit-VR and a big-endian file, JPEG images, and files that are not images."""
    originals: dict[tuple[str, int, int], Dataset] = {}
    files: list[SourceFile] = []

    def add(name: str, ds: Dataset) -> None:
        data = encoded(ds)
        originals[key_of(ds)] = dcmread(io.BytesIO(data))
        files.append(source_bytes(name, data))

    study, series, frame = generate_uid(), generate_uid(), generate_uid()
    ct = []
    for number in (1, 2, 3):
        ds = image_dataset(patient=JANET, study_uid=study, series_uid=series,
                           instance_number=number, rows=16, cols=16)
        ds.FrameOfReferenceUID = frame
        ct.append(identify(ds, JANET, index=number))
    for referring, referenced, relation in ((1, 0, "ReferencedImageSequence"),
                                            (1, 2, "SourceImageSequence")):
        item = Dataset()
        item.ReferencedSOPClassUID = ct[referenced].SOPClassUID
        item.ReferencedSOPInstanceUID = ct[referenced].SOPInstanceUID
        setattr(ct[referring], relation, Sequence([item]))
    ct[2].BurnedInAnnotation = "YES"
    for number, ds in enumerate(ct, start=1):
        add(f"CD/QUILLFEATHER JANET/IM{number:04d}", ds)
    for number, burned_in in ((1, None), (2, "NO"), (3, "YES")):
        add(f"US/JANET_{number}.dcm", ultrasound(study, burned_in=burned_in, number=number))
    add("SR/report.dcm", identify(structured_report(study, ct[0]), JANET, index=90))

    other_study = generate_uid()
    implicit = image_dataset(modality="MR", sop_class=factory.MR_IMAGE, patient=RICHARD,
                             study_uid=other_study, series_uid=generate_uid(), series_number=7,
                             rows=8, cols=8, transfer_syntax=ImplicitVRLittleEndian)
    add("richard/implicit.dcm", identify(implicit, RICHARD, index=70))
    big = image_dataset(modality="MR", sop_class=factory.MR_IMAGE, patient=RICHARD,
                        study_uid=other_study, series_uid=generate_uid(), series_number=8,
                        rows=8, cols=8, transfer_syntax=ExplicitVRBigEndian)
    big.PixelData = bytes(range(128))
    add("richard/big.dcm", big)
    for path in factory.jpeg_series(tmp_path / "jpeg", slices=2, rows=16, cols=16):
        ds = dcmread(path)
        ds.StudyInstanceUID, ds.SeriesNumber = other_study, 9
        add(f"richard/jpeg/{path.name}", identify(ds, RICHARD, index=0))

    files.append(source_bytes("JANET report.pdf", factory.text_pdf_bytes()))
    files.append(source_bytes("photo of JANET.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 200))
    return Upload(files, originals)


def export(files: list[SourceFile]) -> tuple[zipfile.ZipFile, Any]:
    out = io.BytesIO()
    summary = write_deidentified_zip(files, out, made_at=MADE_AT)
    return zipfile.ZipFile(io.BytesIO(out.getvalue())), summary


def exported_files(archive: zipfile.ZipFile) -> dict[str, bytes]:
    return {name: archive.read(name) for name in archive.namelist() if name != "README.txt"}


# --- the profile, tag by tag -----------------------------------------------------------------

ADDED = {Tag("PatientIdentityRemoved"), Tag("DeidentificationMethod"),
         Tag("DeidentificationMethodCodeSequence"),
         Tag("LongitudinalTemporalInformationModified")}
DUMMIES = ("", "0", "00010101", "000000.00", "00010101010101.000000+0000", b"")
# D (and the D branch of Z/D, X/D, X/Z/D) and Z (and X/Z) as the export applies them.
REWRITES = {"_replace", "empty", "delete_or_empty"}

STANDARD = "1.2.840.10008."  # UIDs the standard defines: SOP classes, coding schemes
Path_ = tuple[Any, ...]


def elements(ds: Dataset, path: Path_ = ()) -> Iterator[tuple[Path_, DataElement]]:
    for element in ds:
        here = (*path, element.tag)
        yield here, element
        if element.VR == "SQ":
            for index, item in enumerate(element.value):
                yield from elements(item, (*here, index))


def find(ds: Dataset, path: Path_) -> DataElement | None:
    current: Any = ds
    for step in path:
        if isinstance(step, int) and not isinstance(step, BaseTag):
            if step >= len(current.value):
                return None
            current = current.value[step]
        else:
            if step not in current:
                return None
            current = current[step]
    return current  # type: ignore[no-any-return]


def empty(element: DataElement) -> bool:
    value = element.value
    if element.VR == "SQ":
        return all(empty(e) or e.VR == "SQ" for item in value for _, e in elements(item))
    return value is None or value == 0 or value in DUMMIES or list(value or []) == []


def action_name(tag: BaseTag) -> str | None:
    action = action_for(tag)
    return None if action is None else action.__name__


def rewritten_by_ancestor(path: Path_) -> bool:
    return any(isinstance(step, BaseTag) and action_name(step) in REWRITES for step in path[:-1])


def check_against_profile(original: Dataset, copy: Dataset, uids: dict[str, str]) -> None:
    """Every element of the copy, at every depth, is what Table E.1-1 allows; every element
    the table keeps is still there, unchanged."""
    for path, element in elements(copy):
        tag = element.tag
        assert not tag.is_private, path
        assert tag.element != 0, f"group length at {path}"
        if path[0] in ADDED:  # what the de-identifier adds (checked by the tests below)
            continue
        before = find(original, path)
        assert before is not None, f"{path} appeared from nowhere"
        name = action_name(tag)
        if name == "_remove":
            raise AssertionError(f"{element.keyword or tag} should be removed ({path})")
        if rewritten_by_ancestor(path) or (name in REWRITES and element.VR == "SQ"):
            # Inside a sequence given dummy values or emptied: nothing of the original is left,
            # but UIDs the standard defines (what kind of object is referenced).
            assert (element.VR == "SQ" or empty(element) or element.value != before.value
                    or (element.VR == "UI" and str(before.value).startswith(STANDARD))), path
            if element.VR == "UI" and element.value and element.value != before.value:
                assert uids.setdefault(str(before.value), str(element.value)) == element.value
        elif element.VR == "UI" and element.value:
            values = element.value if element.VM > 1 else [element.value]
            originals = before.value if before.VM > 1 else [before.value]
            for old, new in zip(originals, values, strict=True):
                if str(old).startswith(STANDARD):
                    assert str(new) == str(old), path
                else:  # every other UID: replaced, the same way in every file
                    assert uids.setdefault(str(old), str(new)) == str(new), "inconsistent UID"
                    assert str(new) != str(old), f"UID kept at {path}"
        elif name in {"empty", "delete_or_empty"}:
            assert empty(element), path
        elif name in REWRITES:
            assert empty(element) or element.value != before.value, path
        elif element.VR == "PN":
            assert element.value == "", path
        elif element.VR == "SQ":
            assert len(element.value) == len(before.value), path
        else:
            assert element.value == before.value, f"{path} changed though the profile keeps it"
    for path, element in elements(original):
        kept = not any(isinstance(step, BaseTag) and (step.is_private or action_name(step))
                       for step in path)
        if kept and element.VR not in ("PN", "UI") and element.tag.element != 0:
            assert find(copy, path) is not None, f"{path} was dropped though the profile keeps it"


# --- tests -----------------------------------------------------------------------------------


def test_every_tag_of_every_file_follows_the_profile(upload: Upload) -> None:
    archive, summary = export(upload.files)
    copies = exported_files(archive)
    assert len(copies) == len(upload.originals) == len(summary.exported)
    uids: dict[str, str] = {}
    for data in copies.values():
        copy = dcmread(io.BytesIO(data))
        original = upload.originals[key_of(copy)]
        check_against_profile(original, copy, uids)
        assert copy.file_meta.MediaStorageSOPInstanceUID == copy.SOPInstanceUID
        assert copy.file_meta.MediaStorageSOPClassUID == original.SOPClassUID
        assert copy.file_meta.TransferSyntaxUID == original.file_meta.TransferSyntaxUID
        assert copy.PatientName == ""
        assert copy.get("PatientBirthDate", "") in ("", "00010101")
        assert "PatientAge" not in copy and "StudyDescription" not in copy
        assert copy.DeidentificationMethodCodeSequence[0].CodeValue == "113100"
        assert copy.LongitudinalTemporalInformationModified == "REMOVED"
        assert copy.SOPClassUID == original.SOPClassUID  # what the file is stays known


def test_no_identifying_value_survives_anywhere(upload: Upload) -> None:
    out = io.BytesIO()
    write_deidentified_zip(upload.files, out, made_at=MADE_AT)
    archive = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    original_uids = {
        str(e.value) for ds in upload.originals.values() for _, e in elements(ds)
        if e.VR == "UI" and e.value and not str(e.value).startswith("1.2.840.10008.")
    } | {str(ds.file_meta.MediaStorageSOPInstanceUID) for ds in upload.originals.values()}
    texts = ["\n".join(archive.namelist()), archive.read("README.txt").decode()]
    for name, data in exported_files(archive).items():
        copy = dcmread(io.BytesIO(data), stop_before_pixels=True)
        header = data[: len(encoded_header(data))]
        texts.append(header.decode("latin-1"))
        texts += [str(e.value) for _, e in elements(copy) if e.tag != 0x7FE00010]
        for uid in original_uids:
            assert uid.encode() not in header, f"an original UID survives in {name}"
    whole = "\n".join(texts).lower()
    for secret in IDENTIFYING:
        assert secret.lower() not in whole, secret


def encoded_header(data: bytes) -> bytes:
    """The bytes of a file before its pixel data (the pixel values are checked separately)."""
    stream = io.BytesIO(data)
    dcmread(stream, stop_before_pixels=True)
    return data[: stream.tell()]


def test_uids_are_replaced_consistently_and_references_still_match(upload: Upload) -> None:
    archive, _ = export(upload.files)
    copies = {key_of(ds): ds for ds in
              (dcmread(io.BytesIO(data)) for data in exported_files(archive).values())}
    ct = [copies[("CT", 1, n)] for n in (1, 2, 3)]
    originals = [upload.originals[("CT", 1, n)] for n in (1, 2, 3)]
    assert len({ds.StudyInstanceUID for ds in ct}) == 1
    assert len({ds.SeriesInstanceUID for ds in ct}) == 1
    assert len({ds.FrameOfReferenceUID for ds in ct}) == 1
    assert len({ds.SOPInstanceUID for ds in ct}) == 3
    for copy, original in zip(ct, originals, strict=True):
        assert copy.StudyInstanceUID != original.StudyInstanceUID
        assert copy.SOPInstanceUID != original.SOPInstanceUID
        assert copy.FrameOfReferenceUID != original.FrameOfReferenceUID
    # References between files point at the new UIDs of the files they referenced.
    assert ct[1].ReferencedImageSequence[0].ReferencedSOPInstanceUID == ct[0].SOPInstanceUID
    assert ct[1].SourceImageSequence[0].ReferencedSOPInstanceUID == ct[2].SOPInstanceUID
    assert ct[0].ReferencedSeriesSequence[0].SeriesInstanceUID == ct[0].SeriesInstanceUID
    report = copies[("SR", 50, 1)]
    assert report.StudyInstanceUID == ct[0].StudyInstanceUID
    [reference] = report.ContentSequence[2].ReferencedSOPSequence
    assert reference.ReferencedSOPInstanceUID == ct[0].SOPInstanceUID
    assert reference.ReferencedSOPClassUID == ct[0].SOPClassUID
    assert all(copies[("US", 10 + n, 1)].StudyInstanceUID == ct[0].StudyInstanceUID
               for n in (1, 2, 3))
    # The second person's study got its own, different study UID.
    richard = {copies[k].StudyInstanceUID for k in copies if k[0] == "MR" or k[1] == 9}
    assert len(richard) == 1 and richard != {ct[0].StudyInstanceUID}
    # The ZIP is laid out by (new) study and series, never by the patient's folder names.
    assert sorted(name.split("/")[0] for name in archive.namelist() if "/" in name)[0] == "S01"


def test_pixel_data_is_copied_byte_for_byte(upload: Upload) -> None:
    archive, _ = export(upload.files)
    checked = 0
    for data in exported_files(archive).values():
        copy = dcmread(io.BytesIO(data))
        original = upload.originals[key_of(copy)]
        if "PixelData" in original:
            assert copy.PixelData == original.PixelData
            checked += 1
    assert checked == len(upload.originals) - 1  # all but the structured report
    jpeg = [dcmread(io.BytesIO(d)) for d in exported_files(archive).values()]
    assert any(ds.file_meta.TransferSyntaxUID.is_compressed for ds in jpeg)
    for ds in jpeg:
        if ds.file_meta.TransferSyntaxUID.is_compressed:
            assert ds.pixel_array.shape == (16, 16)  # still decodes


def test_burned_in_annotation_is_flagged_not_guessed(upload: Upload) -> None:
    archive, summary = export(upload.files)
    by_key = {key_of(dcmread(io.BytesIO(archive.read(f.name)))): f for f in summary.exported}
    assert by_key[("US", 11, 1)].flag and "absent" in by_key[("US", 11, 1)].flag
    assert by_key[("US", 12, 1)].flag is None  # NO is believed
    assert by_key[("US", 13, 1)].flag == "Burned In Annotation is YES"
    assert by_key[("CT", 1, 3)].flag == "Burned In Annotation is YES"
    assert by_key[("CT", 1, 1)].flag is None  # a CT without the attribute: not flagged
    flagged = {f.name for f in summary.flagged}
    assert flagged == {by_key[k].name for k in (("US", 11, 1), ("US", 13, 1), ("CT", 1, 3))}
    for exported in summary.exported:
        copy = dcmread(io.BytesIO(archive.read(exported.name)), stop_before_pixels=True)
        assert copy.PatientIdentityRemoved == ("NO" if exported.flag else "YES")
    readme = archive.read("README.txt").decode()
    assert "Basic Application Level Confidentiality Profile" in readme
    assert "dicom-anonymizer" in readme
    assert "may still show the patient's name" in readme
    for name in flagged:
        assert name in readme
    unflagged = by_key[("US", 12, 1)].name
    assert unflagged not in readme
    assert "2 not DICOM images" in readme
    # Unflagged files whose header does not say are counted as not saying, never called clean.
    assert not by_key[("CT", 1, 1)].stated and by_key[("US", 12, 1)].stated
    unstated = [f for f in summary.exported if not f.flag and not f.stated]
    assert unstated and summary.unstated == unstated
    kinds = ", ".join(sorted({f.modality for f in unstated}))
    assert f"Not saying ({len(unstated)} file(s), {kinds})" in readme


def test_files_that_are_not_images_are_left_out_and_counted(tmp_path: Path) -> None:
    study = factory.ct_series(tmp_path / "ct", slices=2, rows=8, cols=8)
    cut = factory.truncated_series(tmp_path / "cut", slices=2)
    pdf_in_dicom = factory.encapsulated_pdf_dicom(tmp_path / "doc", factory.text_pdf_bytes())
    cd = [p for p in factory.cd_folder(tmp_path / "cd", slices=1, rows=4, cols=4)
          if p.name == "DICOMDIR"]
    bare = factory.dicom_without_preamble(tmp_path / "bare")
    zipped = factory.zip_folder(tmp_path, factory.ct_series(tmp_path / "z", slices=2, rows=4,
                                                            cols=4), tmp_path)
    bomb = factory.zip_bomb(tmp_path, size=8 * 1024 * 1024)
    paths = [*study, *cut, pdf_in_dicom, *cd, bare, zipped, bomb, factory.report_pdf(tmp_path)]
    archive, summary = export(factory.source_files(paths, tmp_path))
    assert summary.left_out == {LeftOut.DAMAGED: 1, LeftOut.DOCUMENT: 1, LeftOut.DICOMDIR: 1,
                                LeftOut.ARCHIVE: 1, LeftOut.NOT_DICOM: 1}
    # 2 + the uncut slice + the bare data set (now a Part 10 file) + 2 from the ZIP
    assert len(summary.exported) == 6
    for data in exported_files(archive).values():
        ds = dcmread(io.BytesIO(data))  # every file a complete Part 10 file
        assert ds.PixelData and ds.PatientName == ""
    readme = archive.read("README.txt").decode()
    assert "reports stored inside DICOM" in readme and "damaged or cut-short" in readme


def test_nothing_to_export_when_there_is_no_dicom() -> None:
    archive, summary = export([source_bytes("report.pdf", factory.text_pdf_bytes())])
    assert summary.exported == [] and summary.left_out == {LeftOut.NOT_DICOM: 1}
    assert archive.namelist() == []


class CountingReader(io.RawIOBase):
    """A stream that records the largest single read."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.largest = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._data.seek(offset, whence)

    def tell(self) -> int:
        return self._data.tell()

    def read(self, size: int = -1) -> bytes:
        block = self._data.read(size)
        self.largest = max(self.largest, len(block))
        return block


def test_a_large_image_is_streamed_not_read_whole() -> None:
    rows = cols = 1024
    frames = 8  # 16 MiB of pixels
    ds = image_dataset(study_uid=generate_uid(), series_uid=generate_uid(), rows=rows,
                       cols=cols, pixel_data=bytes(range(256)) * (rows * cols * frames * 2 // 256))
    ds.NumberOfFrames = frames
    data = encoded(ds)
    stream = CountingReader(data)
    out = io.BytesIO()
    Deidentifier().write(stream, len(data), out)  # type: ignore[arg-type]
    assert stream.largest <= 1024 * 1024
    assert dcmread(io.BytesIO(out.getvalue())).PixelData == ds.PixelData


def test_encapsulated_pixel_data_is_copied_item_by_item() -> None:
    fragments = b"\xfe\xff\x00\xe0" + struct.pack("<L", 0)
    fragments += b"\xfe\xff\x00\xe0" + struct.pack("<L", 4) + b"JPEG"
    element = b"\xe0\x7f\x10\x00OB\x00\x00\xff\xff\xff\xff" + fragments
    element += b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"
    trailer = b"\xfc\xff\xfc\xffOB\x00\x00" + struct.pack("<L", 4) + b"JQJQ"
    out = io.BytesIO()
    copy_pixel_elements(io.BytesIO(element + trailer), out, implicit=False, little=True)
    assert out.getvalue() == element  # the padding after the pixels is left out


def test_pydicom_complaints_quoting_values_stay_out_of_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ds = image_dataset(patient=JANET, study_uid=generate_uid(), series_uid=generate_uid(),
                       rows=4, cols=4)
    # pydicom warns "Unknown encoding 'ISO_JANETX'", quoting the value, on every text it decodes.
    data = encoded(ds).replace(b"ISO_IR 100", b"ISO_JANETX")
    caplog.set_level(logging.DEBUG)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, summary = export([source_bytes("a.dcm", data)])
    assert len(summary.exported) == 1
    assert "JANET" not in caplog.text
    assert not [w for w in caught if "JANET" in str(w.message)]


def test_one_uid_map_per_export(upload: Upload) -> None:
    """Two copies of the same upload cannot be linked to each other by their UIDs."""
    first, _ = export(upload.files)
    second, _ = export(upload.files)
    uids = [
        {str(dcmread(io.BytesIO(data)).SOPInstanceUID) for data in exported_files(a).values()}
        for a in (first, second)
    ]
    assert uids[0].isdisjoint(uids[1])


def test_a_stream_that_fails_midway_leaves_nothing_half_written(upload: Upload) -> None:
    good = upload.files[0]
    data = good.open().read()

    def broken() -> BinaryIO:
        return io.BytesIO(data[: len(data) - 100])  # cut inside the pixel data

    archive, summary = export([SourceFile("cut.dcm", len(data), broken), upload.files[1]])
    assert summary.left_out == {LeftOut.DAMAGED: 1}
    assert len(exported_files(archive)) == 1
