"""The verdict for each kind of upload: structured fields and the patient's message."""

from __future__ import annotations

import shutil
import zipfile
from datetime import date
from pathlib import Path

from pydicom import dcmread

from bot.imaging import InspectionLimits, SourceFile, inspect_files
from tests.fixtures import dicom_factory as factory
from tests.imaging.conftest import ignored, inspect_paths, problem_codes, rejected


def test_ct_series_is_a_complete_study_without_report(tmp_path: Path) -> None:
    verdict = inspect_paths(factory.ct_series(tmp_path, slices=12), tmp_path)
    assert verdict.ok
    assert verdict.missing == ("report",)
    assert (verdict.exam_type, verdict.body_part) == ("ct", "brain")
    [study] = verdict.studies
    assert study.date == date(2026, 11, 12)
    assert study.modalities == ("CT",)
    assert study.description == "CT HEAD WITHOUT CONTRAST"
    assert (study.series_count, study.image_count, study.age_years) == (1, 12, 56)
    assert study.complete and study.usable
    assert verdict.problems == ()
    assert verdict.message == (
        "I found 1 study: brain CT scan from 12 Nov 2026 — 1 series, 12 images, complete. "
        "I didn't find the written report: please add it."
    )


def test_mr_brain_study_has_several_series(tmp_path: Path) -> None:
    verdict = inspect_paths(factory.mr_brain_study(tmp_path, slices=5), tmp_path)
    assert verdict.ok
    [study] = verdict.studies
    assert (study.exam_type, study.body_part) == ("mri", "brain")
    assert study.series_count == 4
    assert study.image_count == 3 + 3 * 5
    assert [series.number for series in study.series] == [1, 2, 3, 4]
    assert [series.description for series in study.series][:2] == ["LOCALIZER", "T1 SAG"]
    assert study.age_years == 41
    assert "brain MRI from 4 Mar 2026 — 4 series, 18 images, complete" in verdict.message


def test_cd_folder_ignores_the_viewer_and_uses_the_dicomdir(tmp_path: Path) -> None:
    paths = factory.cd_folder(tmp_path, slices=3)
    assert {"DICOMDIR", "VIEWER.EXE", "AUTORUN.INF", "INDEX.HTM"} <= {p.name for p in paths}
    verdict = inspect_paths(paths, tmp_path)
    assert verdict.ok
    [study] = verdict.studies
    assert (study.series_count, study.image_count) == (2, 6)
    assert ignored(verdict) == {("viewer", "viewer_software"): 3, ("cd_extra", "not_a_report"): 1}
    assert verdict.rejected == ()
    assert "viewer program files" in verdict.message
    assert "ignored (not needed)" in verdict.message


def test_cd_folder_with_files_left_behind_asks_for_the_whole_folder(tmp_path: Path) -> None:
    paths = factory.cd_folder(tmp_path, slices=3)
    images = [path for path in paths if path.name.startswith("IM")]
    kept = [path for path in paths if path not in images[:2]]
    verdict = inspect_paths(kept, tmp_path)
    assert not verdict.ok
    assert problem_codes(verdict) == ["cd_incomplete"]
    assert verdict.problems[0].count == 2
    assert not verdict.studies[0].complete
    assert "please upload the whole CD folder" in verdict.message


def test_jpeg_compressed_dicom_is_read_and_decodable(tmp_path: Path) -> None:
    verdict = inspect_paths(factory.jpeg_series(tmp_path, slices=3), tmp_path)
    assert verdict.ok
    [series] = verdict.studies[0].series
    assert series.compression == "JPEG"
    assert series.decodable
    assert series.truncated == 0
    assert "compression" not in verdict.message


def test_truncated_file_makes_the_study_incomplete(tmp_path: Path) -> None:
    verdict = inspect_paths(factory.truncated_series(tmp_path, slices=4), tmp_path)
    assert not verdict.ok
    assert verdict.missing == ("images", "report")
    [problem] = verdict.problems
    assert (problem.code, problem.series, problem.count, problem.blocking) == (
        "truncated_images", 1, 1, True)
    assert verdict.studies[0].image_count == 4
    assert "1 image in series 1 is cut short" in verdict.message
    assert "Please ask the imaging center for a new, complete copy." in verdict.message


def test_file_cut_before_its_pixel_data_is_truncated(tmp_path: Path) -> None:
    paths = factory.write_series(tmp_path, slices=3, rows=16, cols=16)
    factory.truncate(paths[1], 1200)
    verdict = inspect_paths(paths, tmp_path)
    assert problem_codes(verdict) == ["truncated_images"]


def test_cut_compressed_file_is_truncated(tmp_path: Path) -> None:
    paths = factory.jpeg_series(tmp_path, slices=3)
    factory.truncate(paths[0], 0.8)
    verdict = inspect_paths(paths, tmp_path)
    assert problem_codes(verdict) == ["truncated_images"]


def test_series_with_missing_slices_names_them(tmp_path: Path) -> None:
    verdict = inspect_paths(factory.missing_slices_series(tmp_path), tmp_path)
    assert not verdict.ok
    [problem] = verdict.problems
    assert problem.code == "missing_images"
    assert (problem.series, problem.count, problem.ranges) == (3, 5, ((41, 45),))
    assert verdict.studies[0].series[0].missing_ranges == ((41, 45),)
    assert "Series 3 is missing images 41–45." in verdict.message
    assert "new, complete copy" in verdict.message


def test_single_missing_slice(tmp_path: Path) -> None:
    paths = factory.write_series(tmp_path, slices=6, rows=8, cols=8, skip=[4])
    verdict = inspect_paths(paths, tmp_path)
    assert "Series 1 is missing image 4." in verdict.message


def test_sparse_numbering_is_not_reported_as_missing(tmp_path: Path) -> None:
    # Numbers 1, 2 and 40: more gaps than images is a numbering habit, not lost files.
    paths = factory.write_series(tmp_path, slices=40, rows=8, cols=8, skip=range(3, 40))
    verdict = inspect_paths(paths, tmp_path)
    assert verdict.ok
    assert verdict.problems == ()


def test_two_patients_mixed_are_flagged_without_names(tmp_path: Path) -> None:
    verdict = inspect_paths(factory.mixed_patients(tmp_path), tmp_path)
    assert not verdict.ok
    assert problem_codes(verdict) == ["mixed_patients"]
    assert len(verdict.studies) == 2
    assert ("these files seem to belong to more than one person: please upload only your own"
            in verdict.message.lower())


def test_same_person_with_other_ids_and_a_middle_name_is_not_mixed(tmp_path: Path) -> None:
    other_hospital = factory.Patient("DOE^JANE^M", "OTHER-77", "19700101", "F")
    paths = factory.write_series(tmp_path / "a", slices=2, rows=8, cols=8)
    paths += factory.write_series(tmp_path / "b", slices=2, rows=8, cols=8,
                                  patient=other_hospital, study_date="20250101")
    verdict = inspect_paths(paths, tmp_path)
    assert verdict.ok
    assert "mixed_patients" not in problem_codes(verdict)


def test_secondary_capture_and_dose_report_only_are_screenshots(tmp_path: Path) -> None:
    verdict = inspect_paths(factory.secondary_capture_study(tmp_path), tmp_path)
    assert not verdict.ok
    [study] = verdict.studies
    assert study.screenshots_only and not study.usable
    assert problem_codes(verdict) == ["screenshots_only"]
    assert verdict.missing == ("images", "report")
    assert "only screenshots or summary pages" in verdict.message
    assert "original DICOM files" in verdict.message


def test_jpeg_screenshot_explains_why_dicom_is_needed(tmp_path: Path) -> None:
    verdict = inspect_paths([factory.screenshot(tmp_path)], tmp_path)
    assert not verdict.ok
    assert rejected(verdict) == {("picture", "screenshot"): 1}
    assert verdict.rejected[0].details == ("JPEG",)
    message = verdict.message
    assert message.startswith("1 picture (JPEG) can't be used for a second read.")
    for phrase in ("original DICOM files", "full resolution", "windowing", "measurements",
                   "CD/DVD", "patient portal"):
        assert phrase in message


def test_png_screenshot(tmp_path: Path) -> None:
    verdict = inspect_paths(
        [factory.screenshot(tmp_path, "shot.png", image_format="PNG")], tmp_path)
    assert verdict.rejected[0].details == ("PNG",)


def test_pictures_next_to_real_images_are_set_aside_quietly(tmp_path: Path) -> None:
    paths = [*factory.ct_series(tmp_path, slices=3), factory.screenshot(tmp_path)]
    verdict = inspect_paths(paths, tmp_path)
    assert verdict.ok
    assert "I also saw 1 picture (JPEG); only the DICOM images count, so I set it aside." in (
        verdict.message)
    assert "can't be used for a second read" not in verdict.message


def test_pdf_report_alone_asks_for_the_images(tmp_path: Path) -> None:
    verdict = inspect_paths([factory.report_pdf(tmp_path)], tmp_path)
    assert not verdict.ok
    assert verdict.missing == ("images",)
    [report] = verdict.reports
    assert report.kind == "text"
    assert (report.exam_type, report.body_part) == ("ct", "brain")
    assert report.exam_date == date(2026, 11, 12)
    assert {"findings", "impression", "technique", "history"} <= set(report.sections)
    assert (verdict.exam_type, verdict.body_part) == ("ct", "brain")
    assert "I found the written report (brain CT scan, 12 Nov 2026)." in verdict.message
    assert "please add the DICOM files" in verdict.message


def test_images_and_report_together(tmp_path: Path) -> None:
    paths = [*factory.ct_series(tmp_path, slices=3), factory.report_pdf(tmp_path)]
    verdict = inspect_paths(paths, tmp_path)
    assert verdict.ok
    assert verdict.missing == ()
    assert verdict.message == (
        "I found 1 study: brain CT scan from 12 Nov 2026 — 1 series, 3 images, complete. "
        "I also found the written report (brain CT scan, 12 Nov 2026)."
    )


def test_scanned_pdf_counts_as_a_report_but_asks_for_text(tmp_path: Path) -> None:
    verdict = inspect_paths([factory.scanned_pdf(tmp_path)], tmp_path)
    [report] = verdict.reports
    assert report.kind == "scanned"
    assert verdict.missing == ("images",)
    assert "scanned report" in verdict.message
    assert "text PDF" in verdict.message


def test_other_pdf_is_not_a_report(tmp_path: Path) -> None:
    verdict = inspect_paths([factory.other_pdf(tmp_path)], tmp_path)
    assert verdict.reports == ()
    assert ignored(verdict) == {("pdf", "not_a_report"): 1}
    assert "doesn't look like a radiology report" in verdict.message


def test_dcm_that_is_really_a_pdf_is_read_as_a_pdf(tmp_path: Path) -> None:
    path = factory.pdf_named_dcm(tmp_path)
    assert path.suffix == ".dcm"
    verdict = inspect_paths([path], tmp_path)
    assert len(verdict.reports) == 1
    assert verdict.studies == ()
    assert verdict.rejected == ()


def test_pdf_report_inside_dicom_counts_as_the_report(tmp_path: Path) -> None:
    paths = factory.ct_series(tmp_path, slices=2)
    paths.append(factory.encapsulated_pdf_dicom(tmp_path, factory.text_pdf_bytes()))
    verdict = inspect_paths(paths, tmp_path)
    assert verdict.ok
    assert verdict.missing == ()
    assert verdict.reports[0].in_dicom
    assert verdict.studies[0].image_count == 2


def test_dicom_without_preamble_is_read(tmp_path: Path) -> None:
    for implicit in (True, False):
        path = factory.dicom_without_preamble(tmp_path, implicit=implicit,
                                              name=f"raw{implicit}")
        verdict = inspect_paths([path], tmp_path)
        assert verdict.ok, implicit
        assert verdict.studies[0].image_count == 1


def test_empty_file_is_rejected_with_a_message(tmp_path: Path) -> None:
    verdict = inspect_paths([factory.empty_file(tmp_path)], tmp_path)
    assert not verdict.ok
    assert rejected(verdict) == {("empty", "empty"): 1}
    assert "1 file was empty" in verdict.message


def test_unknown_file_is_rejected_with_its_extension_only(tmp_path: Path) -> None:
    verdict = inspect_paths([factory.unknown_file(tmp_path, "Jane Doe notes.docx")], tmp_path)
    assert rejected(verdict) == {("text", "not_a_report"): 1}
    assert verdict.rejected[0].details == (".docx",)
    assert "1 text file (.docx) doesn't look like a radiology report" in verdict.message
    assert "Jane" not in str(verdict.to_dict())


def test_damaged_dicom_is_rejected_and_the_rest_still_inspected(tmp_path: Path) -> None:
    paths = factory.ct_series(tmp_path, slices=3)
    broken = tmp_path / "broken.dcm"
    broken.write_bytes(b"\x00" * 128 + b"DICM" + b"\x02\x00\x10\x00UI\xff\xff" + b"1.2" * 5)
    verdict = inspect_paths([*paths, broken], tmp_path)
    assert verdict.ok
    assert rejected(verdict) == {("damaged", "dicom"): 1}
    assert "looks like DICOM but is damaged" in verdict.message


def test_a_file_that_fails_to_open_is_counted_unreadable(tmp_path: Path) -> None:
    def failing() -> object:
        raise OSError("disk gone")

    files = [SourceFile("x", 10, failing)]  # type: ignore[arg-type]
    verdict = inspect_files(files)
    assert rejected(verdict) == {("damaged", "unreadable"): 1}
    assert "couldn't be read" in verdict.message


def test_duplicate_instances_are_counted_once(tmp_path: Path) -> None:
    paths = factory.ct_series(tmp_path / "a", slices=3)
    copies = []
    for path in paths:
        copy = tmp_path / "b" / path.name
        copy.parent.mkdir(exist_ok=True)
        shutil.copy(path, copy)
        copies.append(copy)
    verdict = inspect_paths(paths + copies, tmp_path)
    assert verdict.ok
    assert verdict.studies[0].image_count == 3
    assert problem_codes(verdict) == ["duplicate_images"]
    assert verdict.problems[0].count == 3
    assert "3 images were included twice; I counted each once." in verdict.message


def test_an_intact_copy_wins_over_a_truncated_duplicate(tmp_path: Path) -> None:
    paths = factory.ct_series(tmp_path / "a", slices=2)
    copy = tmp_path / "b" / paths[0].name
    copy.parent.mkdir()
    shutil.copy(paths[0], copy)
    factory.truncate(copy, 0.5)
    verdict = inspect_paths([copy, *paths], tmp_path)
    assert verdict.ok
    assert problem_codes(verdict) == ["duplicate_images"]


def test_nothing_usable(tmp_path: Path) -> None:
    verdict = inspect_files([])
    assert not verdict.ok
    assert verdict.missing == ("images", "report")
    assert "I couldn't find any scan images" in verdict.message


def test_too_many_files_stops_counting(tmp_path: Path) -> None:
    paths = factory.ct_series(tmp_path, slices=5)
    verdict = inspect_paths(paths, tmp_path, InspectionLimits(max_files=3))
    assert verdict.files_checked == 3
    assert problem_codes(verdict)[0] == "too_many_files"
    assert not verdict.ok
    assert "more than 3 files" in verdict.message


def test_two_studies_are_listed_by_date(tmp_path: Path) -> None:
    paths = factory.ct_series(tmp_path / "new", slices=2)
    paths += factory.write_series(tmp_path / "old", slices=3, rows=8, cols=8,
                                  study_date="20250105", study_description="CT CHEST",
                                  body_part="CHEST")
    verdict = inspect_paths(paths, tmp_path)
    assert verdict.ok
    assert [study.date for study in verdict.studies] == [date(2025, 1, 5), date(2026, 11, 12)]
    assert verdict.message.startswith(
        "I found 2 studies: (1) chest CT scan from 5 Jan 2025 — 1 series, 3 images, complete; "
        "(2) brain CT scan from 12 Nov 2026 — 1 series, 2 images, complete."
    )
    # The upload is about the larger study.
    assert (verdict.exam_type, verdict.body_part) == ("ct", "chest")


def test_a_dose_report_beside_the_images_is_not_counted_as_a_series(tmp_path: Path) -> None:
    paths = factory.ct_series(tmp_path, slices=3)
    study_uid = dcmread(paths[0], stop_before_pixels=True).StudyInstanceUID
    paths.append(factory.dose_report(tmp_path / "sr", study_uid=study_uid))
    verdict = inspect_paths(paths, tmp_path)
    assert verdict.ok
    [study] = verdict.studies
    assert (study.series_count, study.image_count) == (1, 3)
    assert study.modalities == ("CT", "SR")


def test_rar_and_7zip_archives_are_refused_with_advice() -> None:
    files = [factory.source_bytes("study.rar", b"Rar!\x1a\x07\x01\x00" + bytes(64)),
             factory.source_bytes("study.7z", b"7z\xbc\xaf\x27\x1c" + bytes(64))]
    verdict = inspect_files(files)
    [group] = verdict.rejected
    assert (group.kind, group.reason, group.count) == ("archive", "unsupported_format", 2)
    assert "I can't open RAR or 7-Zip archives: please make a ZIP file instead" in verdict.message


def test_unusual_extensions_are_not_echoed(tmp_path: Path) -> None:
    verdict = inspect_paths([factory.unknown_file(tmp_path, "Jane.Doe")], tmp_path)
    assert verdict.rejected[0].details == ()
    assert "1 text file doesn't look like a radiology report" in verdict.message


def test_files_a_mac_adds_to_a_zip_are_set_aside_silently(tmp_path: Path) -> None:
    series = factory.ct_series(tmp_path / "s", slices=2)
    entries: dict[str, bytes | Path] = {f"study/{p.name}": p for p in series}
    entries.update({f"__MACOSX/study/._{p.name}": b"\x00\x05\x16\x07junk" for p in series})
    entries["study/.DS_Store"] = b"\x00\x00\x00\x01Bud1"
    verdict = inspect_files([factory.source_bytes("study.zip", factory.zip_bytes(entries))])
    assert verdict.ok
    assert verdict.rejected == ()
    assert ignored(verdict) == {("system", "os_metadata"): 3}
    assert verdict.message.endswith("I didn't find the written report: please add it.")


def test_problems_name_the_study_when_there_are_several(tmp_path: Path) -> None:
    paths = factory.missing_slices_series(tmp_path / "a") + factory.truncated_series(tmp_path / "b")
    verdict = inspect_paths(paths, tmp_path)
    assert "Series 3 of study 1 is missing images 41–45." in verdict.message
    assert "1 image in series 1 of study 2 is cut short" in verdict.message


# --- odd files named honestly (issue 22) ------------------------------------------------------

def test_an_empty_zip_is_called_empty(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    zipfile.ZipFile(archive, "w").close()
    verdict = inspect_paths([archive], tmp_path)
    assert rejected(verdict) == {("empty", "empty_archive"): 1}
    assert "1 ZIP file was empty, with nothing inside to check" in verdict.message
    assert "damaged" not in verdict.message


def test_a_file_named_dcm_that_is_not_dicom_is_named_as_such(tmp_path: Path) -> None:
    fake = tmp_path / "IM0001.dcm"
    fake.write_bytes(b"This file was saved by a viewer as text, not as an image.\n" * 20)
    verdict = inspect_paths([fake], tmp_path)
    assert rejected(verdict) == {("unsupported", "not_dicom"): 1}
    assert "1 file is named like a DICOM image (.dcm) but it isn't a medical image file" \
        in verdict.message
    assert "viewer" not in verdict.message and "program" not in verdict.message


def test_a_word_document_is_a_word_document_not_a_pile_of_xml(tmp_path: Path) -> None:
    document = tmp_path / "radiology report.docx"
    with zipfile.ZipFile(document, "w") as office:
        office.writestr("[Content_Types].xml", "<Types/>")
        office.writestr("_rels/.rels", "<Relationships/>")
        office.writestr("word/document.xml", "<w:document/>")
        office.writestr("word/styles.xml", "<w:styles/>")
    verdict = inspect_paths([document], tmp_path)
    assert rejected(verdict) == {("office", "office_document"): 1}
    assert "I couldn't read a Word document as a report." in verdict.message
    assert "please send it as a PDF" in verdict.message and ".xml" not in verdict.message


def test_a_spreadsheet_inside_a_cd_zip_is_named_too(tmp_path: Path) -> None:
    series = factory.ct_series(tmp_path / "cd", slices=3)
    sheet = tmp_path / "cd" / "doses.xlsx"
    with zipfile.ZipFile(sheet, "w") as office:
        office.writestr("[Content_Types].xml", "<Types/>")
        office.writestr("xl/workbook.xml", "<workbook/>")
    verdict = inspect_paths([*series, sheet], tmp_path)
    assert verdict.ok
    assert "I couldn't read a spreadsheet as a report." in verdict.message
