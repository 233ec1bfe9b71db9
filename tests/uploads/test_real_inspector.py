"""Uploads checked by the real inspector (bot.imaging), reading through the decrypting stream:
a CD folder, a portal ZIP with its report, and hostile archives."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.config import Settings
from bot.storage import member_name
from bot.storage.encrypted import write_encrypted
from bot.uploads.records import StoredFile
from bot.uploads.service import UploadService
from bot.uploads.worker import InspectionWorker
from bot.web.uploads_api import UploadsApi
from tests.fixtures import dicom_factory as make
from tests.uploads.conftest import bearer, make_app
from tests.uploads.test_ocr import printed_page


@pytest.fixture
def client(upload_service: UploadService, settings: Settings) -> Iterator[TestClient]:
    api = UploadsApi(settings, upload_service)  # the default inspector: bot.imaging
    with TestClient(make_app(api)) as client:
        client.app_state = api  # type: ignore[attr-defined]
        yield client


def _send(client: TestClient, paths: list[Path], root: Path) -> dict[str, object]:
    files = [
        ("file", (path.relative_to(root).as_posix(), path.read_bytes(), "application/octet-stream"))
        for path in paths
    ]
    response = client.post("/api/uploads", files=files, headers=bearer("conv-a"))
    assert response.status_code == 201, response.text
    upload_id = response.json()["uploads"][0]["id"]
    api: UploadsApi = client.app_state  # type: ignore[attr-defined]
    client.portal.call(api.worker.idle)  # type: ignore[union-attr]
    [record] = api.service.statuses("conv-a", [upload_id])
    assert record.status == "checked" and record.verdict is not None
    return record.verdict


def _no_phi(verdict: dict[str, object]) -> None:
    dump = json.dumps(verdict)
    for secret in make.PHI_STRINGS:
        assert secret not in dump


def test_a_cd_folder(client: TestClient, tmp_path: Path) -> None:
    paths = make.cd_folder(tmp_path, slices=4)
    verdict = _send(client, paths, tmp_path)
    assert "1 study" in str(verdict["message"])
    assert "2 series, 8 images" in str(verdict["message"])
    _no_phi(verdict)


def test_a_portal_zip_and_the_report(client: TestClient, tmp_path: Path) -> None:
    series = make.ct_series(tmp_path / "export", slices=6)
    archive = make.zip_folder(tmp_path, series, tmp_path / "export")
    report = make.report_pdf(tmp_path)
    verdict = _send(client, [archive, report], tmp_path)
    assert verdict["ok"] is True, verdict["message"]
    _no_phi(verdict)


@pytest.mark.parametrize("hostile", [make.zip_slip, make.zip_symlink, make.zip_bomb])
def test_hostile_archives_are_refused(client: TestClient, tmp_path: Path, hostile: object) -> None:
    archive = hostile(tmp_path)  # type: ignore[operator]
    verdict = _send(client, [archive], tmp_path)
    assert verdict["ok"] is False and verdict["message"]


async def test_a_tampered_stored_file_is_never_read_as_good_data(
    upload_service: UploadService, settings: Settings, tmp_path: Path
) -> None:
    series = make.ct_series(tmp_path / "export", slices=3)
    new = upload_service.begin("conv-a")
    files = []
    for position, path in enumerate(series, start=1):
        name = member_name(position)
        written = write_encrypted(new.directory / name, settings.storage_key, [path.read_bytes()])
        files.append(StoredFile(position, path.name, name, written.size, written.sha256))
    record = upload_service.complete(new.id, files, "files")
    # Flip one byte in the middle of the second stored file.
    stored = new.directory / member_name(2)
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0xFF
    stored.write_bytes(data)

    worker = InspectionWorker(upload_service, settings.storage_key)  # the real inspector
    checked = await worker.check(record.public_id)
    assert checked is not None and checked.verdict is not None
    message = str(checked.verdict["message"])
    assert "3 images" not in message and "2 images" in message, message


def test_the_text_of_a_sent_pdf_report_for_comparing(
    client: TestClient, tmp_path: Path, settings: Settings
) -> None:
    """A report sent as a PDF can be compared like a pasted one: its text is read from the
    encrypted store, for the conversation that sent it only."""
    report = make.report_pdf(tmp_path)
    invoice = make.other_pdf(tmp_path)
    _send(client, [report, invoice], tmp_path)
    api: UploadsApi = client.app_state  # type: ignore[attr-defined]
    [record] = api.service.for_conversation("conv-a")
    texts = api.service.report_texts("conv-a", record.public_id, settings.storage_key)
    assert len(texts) == 2 and not any(by_ocr for _, by_ocr in texts)
    assert any("IMPRESSION: Example impression text" in text for text, _ in texts)
    assert api.service.report_texts("conv-b", record.public_id, settings.storage_key) == []
    # A wrong key reads nothing rather than garbage.
    assert api.service.report_texts("conv-a", record.public_id, b"x" * 32) == []


def test_a_photo_of_a_printed_report_is_read_by_ocr(
    client: TestClient, tmp_path: Path, settings: Settings
) -> None:
    photo = tmp_path / "report-photo.png"
    photo.write_bytes(printed_page(tmp_path))
    _send(client, [photo], tmp_path)
    api: UploadsApi = client.app_state  # type: ignore[attr-defined]
    [record] = api.service.for_conversation("conv-a")
    [(text, by_ocr)] = api.service.report_texts("conv-a", record.public_id, settings.storage_key)
    assert by_ocr and "Medial meniscus tear" in text


def test_a_report_sent_as_a_text_file_is_read_as_it_is(
    client: TestClient, tmp_path: Path, settings: Settings
) -> None:
    report = tmp_path / "report.txt"
    report.write_text("EXAM: CT CHEST\nFINDINGS: 6 mm nodule, right lower lobe.\n"
                      "IMPRESSION: 6 mm right lower lobe nodule. Lung-RADS 2.\n")
    _send(client, [report], tmp_path)
    api: UploadsApi = client.app_state  # type: ignore[attr-defined]
    [record] = api.service.for_conversation("conv-a")
    [(text, by_ocr)] = api.service.report_texts("conv-a", record.public_id, settings.storage_key)
    assert not by_ocr and text == report.read_text()
