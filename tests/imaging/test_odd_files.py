"""Odd files named honestly (issue 22): each sniffed kind, sent in an odd way, is told to the
patient for what it is, never as something it is not (a viewer program, "2 files (.xml)")."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest

from bot.imaging import Verdict, inspect_files
from bot.imaging.office import compound_document
from tests.fixtures import dicom_factory as factory
from tests.imaging.conftest import assert_no_phi, ignored, inspect_paths, rejected

_FREE, _END, _FAT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Starts like a bare DICOM data set (group 0008) but has no SOP class nor study UID.
_NOT_QUITE_DICOM = b"\x08\x00\x05\x00CS\x0a\x00ISO_IR 100\x08\x00\x60\x00CS\x02\x00CT"


def inspect_one(name: str, data: bytes) -> Verdict:
    verdict = inspect_files([factory.source_bytes(name, data)])
    assert_no_phi(verdict)
    return verdict


def compound_file(streams: list[str]) -> bytes:
    """A minimal OLE2 compound file (version 3, 512-byte sectors) whose directory lists these
    streams after the root entry: sector 0 is the FAT, the directory chains over sectors 1, 2..."""
    entries = [_directory_entry("Root Entry", 5)] + [_directory_entry(n, 2) for n in streams]
    entries += [bytes(128)] * (-len(entries) % 4)
    directory_sectors = len(entries) // 4
    fat = [_FAT] + [sector + 1 for sector in range(1, directory_sectors)] + [_END]
    fat += [_FREE] * (128 - len(fat))
    header = bytearray(512)
    header[0:8] = _OLE2_MAGIC
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<LLLLLLL", header, 0x2C, 1, 1, 0, 4096, _END, 0, _END)
    struct.pack_into("<109L", header, 0x4C, 0, *[_FREE] * 108)
    return bytes(header) + struct.pack("<128L", *fat) + b"".join(entries)


def _directory_entry(name: str, kind: int) -> bytes:
    entry = bytearray(128)
    encoded = name.encode("utf-16-le") + b"\x00\x00"
    entry[: len(encoded)] = encoded
    struct.pack_into("<HB", entry, 0x40, len(encoded), kind)
    return bytes(entry)


def ooxml(part: str) -> bytes:
    return factory.zip_bytes({"[Content_Types].xml": b"<Types/>", "_rels/.rels": b"<R/>",
                              f"{part}/document.xml": b"<d/>", f"{part}/styles.xml": b"<s/>"})


# --- empty archives: "empty", not "damaged" nor "N empty files, upload them again" ------------


def _zip_of_folders() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("CD/"), b"")
        archive.writestr(zipfile.ZipInfo("CD/DICOM/"), b"")
    return out.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(factory.zip_bytes({}), id="no entries"),
        pytest.param(_zip_of_folders(), id="only folders"),
        pytest.param(factory.zip_bytes({"CD/IM0001": b"", "CD/IM0002": b""}), id="empty files"),
        pytest.param(factory.zip_bytes({"__MACOSX/._x": b"\x00\x05\x16\x07", ".DS_Store": b"B"}),
                     id="only a Mac's extras"),
    ],
)
def test_an_empty_archive_is_told_as_empty(data: bytes) -> None:
    verdict = inspect_one("from the portal.zip", data)
    assert rejected(verdict) == {("empty", "empty_archive"): 1}
    assert "1 ZIP file was empty, with nothing inside to check" in verdict.message
    assert "damaged" not in verdict.message and "upload them again" not in verdict.message


# --- named like a DICOM image, holding something else -----------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "shown"),
    [
        pytest.param("IM0001.dcm", b"MZ\x90\x00" + bytes(60) + b"This program cannot be run",
                     " (.dcm)", id="a Windows program named .dcm"),
        pytest.param("scan.dicom", b"\x7fELF\x02\x01\x01" + bytes(64), " (.dicom)",
                     id="a Linux program named .dicom"),
        pytest.param("IM0002.dcm", b"<!DOCTYPE html><html><body>Viewer</body></html>", " (.dcm)",
                     id="a web page named .dcm"),
        pytest.param("IM0003.dcm", b"[autorun]\r\nopen=viewer.exe\r\n", " (.dcm)",
                     id="an autorun file named .dcm"),
        pytest.param("DICOM/PA000000/ST000000/SE000000/IM000004", b"Saved as text.\n" * 8, "",
                     id="text in a CD's DICOM folder"),
        pytest.param("IMG0005", bytes(range(256)) * 4, "", id="unknown bytes named IMG0005"),
        pytest.param("1.2.840.113619.2.55.3.6", b"Exported note\n" * 4, "", id="a UID name"),
        pytest.param("IM000006", _NOT_QUITE_DICOM, "", id="a bare data set that is not DICOM"),
        pytest.param("IM0007.dcm", compound_file(["__substg1.0_0037001F"]), " (.dcm)",
                     id="an email message named .dcm"),
    ],
)
def test_a_dicom_name_without_a_dicom_image_inside_says_so(
    name: str, data: bytes, shown: str
) -> None:
    verdict = inspect_one(name, data)
    assert rejected(verdict) == {("unsupported", "not_dicom"): 1}
    assert verdict.ignored == ()
    assert (f"1 file is named like a DICOM image{shown} but it isn't a medical image file"
            in verdict.message)
    for misleading in ("viewer", "program", "web page", "report, so"):
        assert misleading not in verdict.message


def test_a_cd_with_one_renamed_program_still_counts_the_real_images(tmp_path: Path) -> None:
    paths = factory.cd_folder(tmp_path, slices=2)
    fake = tmp_path / "CD" / "IM_FAKE.dcm"
    fake.write_bytes(b"MZ\x90\x00" + bytes(60))
    verdict = inspect_paths([*paths, fake], tmp_path)
    assert verdict.ok
    assert rejected(verdict) == {("unsupported", "not_dicom"): 1}
    assert ignored(verdict)[("viewer", "viewer_software")] == 3


# --- office documents: named, and the report asked for as a PDF or a photo --------------------


@pytest.mark.parametrize(
    ("name", "data", "what"),
    [
        pytest.param("report.docx", ooxml("word"), "a Word document", id="docx"),
        pytest.param("doses.xlsx", ooxml("xl"), "a spreadsheet", id="xlsx"),
        pytest.param("slides.pptx", ooxml("ppt"), "a presentation", id="pptx"),
        pytest.param("report.odt", factory.zip_bytes({
            "mimetype": b"application/vnd.oasis.opendocument.text",
            "content.xml": b"<office:document-content/>", "styles.xml": b"<s/>",
            "META-INF/manifest.xml": b"<m/>"}), "a text document (OpenDocument)", id="odt"),
        pytest.param("report.doc", compound_file(["1Table", "WordDocument", "Data"]),
                     "a Word document", id="legacy doc"),
        pytest.param("doses.xls", compound_file(["Workbook"]), "a spreadsheet", id="legacy xls"),
        pytest.param("talk.ppt", compound_file(["Current User", "PowerPoint Document"]),
                     "a presentation", id="legacy ppt"),
        pytest.param("report.rtf", b"{\\rtf1\\ansi\\deff0 {\\fonttbl}FINDINGS: ...}",
                     "a rich-text document (RTF)", id="rtf"),
    ],
)
def test_an_office_document_is_named_and_the_report_asked_as_a_pdf_or_photo(
    name: str, data: bytes, what: str
) -> None:
    verdict = inspect_one(name, data)
    assert rejected(verdict) == {("office", "office_document"): 1}
    assert f"I couldn't read {what} as a report." in verdict.message
    assert "please send it as a PDF" in verdict.message
    assert "or as a photo of the printed page" in verdict.message
    for misleading in (".xml", "isn't a scan image", "damaged", "viewer"):
        assert misleading not in verdict.message


def test_a_legacy_word_document_is_told_by_its_content_not_its_name() -> None:
    # The directory spans two sectors: "WordDocument" is only found by following the FAT.
    data = compound_file(["\x05SummaryInformation", "\x05DocumentSummaryInformation", "1Table",
                          "Data", "ObjectPool", "WordDocument"])
    assert compound_document(io.BytesIO(data), len(data), "from the clinic.bin") == \
        "a Word document"
    verdict = inspect_one("from the clinic.bin", data)
    assert "I couldn't read a Word document as a report." in verdict.message


def test_an_outlook_message_is_not_called_an_office_document() -> None:
    verdict = inspect_one("mail.msg", compound_file(["__substg1.0_0037001F"]))
    assert rejected(verdict) == {("unsupported", "unknown_type"): 1}
    assert "1 file (.msg) isn't a scan image or a report" in verdict.message


def test_several_office_documents_are_counted() -> None:
    files = [factory.source_bytes(f"letter {n}.docx", ooxml("word")) for n in (1, 2)]
    verdict = inspect_files(files)
    assert "I couldn't read 2 Word documents as reports." in verdict.message
    assert "If one of them is your written report" in verdict.message
    mixed = inspect_files([factory.source_bytes("a.docx", ooxml("word")),
                           factory.source_bytes("b.xls", compound_file(["Workbook"]))])
    assert ("I couldn't read 2 documents (a Word document, a spreadsheet) as reports."
            in mixed.message)


# --- archives: a jar, a ZIP from a Java tool, RAR/7z named .zip, pictures only -----------------


def test_a_zip_made_by_a_java_tool_is_opened_not_taken_for_a_viewer(tmp_path: Path) -> None:
    series = factory.ct_series(tmp_path / "s", slices=3)
    entries: dict[str, bytes | Path] = {f"DICOM/{p.name}": p for p in series}
    entries["META-INF/MANIFEST.MF"] = b"Manifest-Version: 1.0\r\nCreated-By: 17 (Oracle)\r\n"
    verdict = inspect_one("export.zip", factory.zip_bytes(entries))
    assert verdict.ok
    assert verdict.studies[0].image_count == 3
    assert "viewer" not in verdict.message and verdict.rejected == ()


def test_a_real_jar_is_still_a_viewer_program() -> None:
    jar = factory.zip_bytes({"META-INF/MANIFEST.MF": b"Main-Class: viewer.Main\n",
                             "viewer/Main.class": b"\xca\xfe\xba\xbe\x00\x00\x00\x34"})
    verdict = inspect_one("viewer.jar", jar)
    assert ignored(verdict) == {("viewer", "viewer_software"): 1}
    assert "1 viewer program file" in verdict.message


@pytest.mark.parametrize(
    ("data", "what"),
    [(b"Rar!\x1a\x07\x01\x00" + bytes(64), "RAR"), (b"7z\xbc\xaf\x27\x1c" + bytes(64), "7-Zip")],
)
def test_rar_and_7zip_named_zip_are_named_for_what_they_are(data: bytes, what: str) -> None:
    verdict = inspect_one("study.zip", data)
    assert f"I can't open {what} archives: please make a ZIP file instead" in verdict.message
    assert "damaged" not in verdict.message


def test_an_archive_of_pictures_only_speaks_of_pictures(tmp_path: Path) -> None:
    shot = factory.screenshot(tmp_path)
    verdict = inspect_one("photos.zip", factory.zip_bytes({"a.jpg": shot, "b.jpg": shot}))
    assert rejected(verdict) == {("picture", "screenshot"): 2}
    assert verdict.message.startswith("2 pictures (JPEG) can't be used for a second read.")


# --- web pages, a CD's index alone, text -----------------------------------------------------


def test_a_web_page_alone_is_a_web_page_not_a_viewer_program() -> None:
    verdict = inspect_one("report.html",
                          b"<!DOCTYPE html><html><body><h1>Radiology</h1></body></html>")
    assert rejected(verdict) == {("web_page", "html"): 1}
    assert verdict.ignored == ()
    assert "I couldn't read a web page (HTML) as a report." in verdict.message
    assert "please send it as a PDF" in verdict.message
    assert "viewer" not in verdict.message


def test_an_exports_index_html_next_to_images_is_its_viewer(tmp_path: Path) -> None:
    series = factory.ct_series(tmp_path / "s", slices=2)
    entries: dict[str, bytes | Path] = {f"DICOM/{p.name}": p for p in series}
    entries["index.html"] = b"<!DOCTYPE html><html><script src='viewer.js'></script></html>"
    entries["viewer.js"] = b"function show() { return 1; }\n"
    verdict = inspect_one("export.zip", factory.zip_bytes(entries))
    assert verdict.ok and verdict.rejected == ()
    assert ignored(verdict)[("viewer", "viewer_software")] == 1
    assert "web page" not in verdict.message


def test_a_dicomdir_without_its_images_is_named(tmp_path: Path) -> None:
    [dicomdir] = [p for p in factory.cd_folder(tmp_path, slices=2) if p.name == "DICOMDIR"]
    verdict = inspect_paths([dicomdir], tmp_path)
    assert not verdict.ok
    assert ("I found only the CD's index file (DICOMDIR), which lists 4 files that weren't "
            "uploaded: please upload the whole CD folder") in verdict.message


def test_a_report_saved_as_text_is_the_written_report() -> None:
    text = "\r\n".join(factory.REPORT_LINES).encode("utf-8")
    verdict = inspect_one("report.txt", text)
    [report] = verdict.reports
    assert (report.kind, report.exam_type, report.body_part) == ("text", "ct", "brain")
    assert verdict.missing == ("images",) and verdict.rejected == ()
    assert verdict.message.startswith("I found the written report (brain CT scan")


def test_a_text_file_that_is_no_report_is_called_a_text_file() -> None:
    verdict = inspect_one("notes.txt", "Call the clinic on Monday. Café at 10.\n".encode("utf-16"))
    assert rejected(verdict) == {("text", "not_a_report"): 1}
    assert "1 text file (.txt) doesn't look like a radiology report" in verdict.message


def test_an_empty_dcm_file_is_empty(tmp_path: Path) -> None:
    verdict = inspect_paths([factory.empty_file(tmp_path, "IM0001.dcm")], tmp_path)
    assert rejected(verdict) == {("empty", "empty"): 1}
    assert "1 file was empty" in verdict.message
