"""Download de-identified copy (issue 22) from the console: any signed-in staff member, with the
console's CSRF token; each copy audited without patient data before any byte leaves; a non-DICOM
upload gets a clear message instead of an empty ZIP; the ZIP is sent while it is made (the
download starts with the first image, a client that leaves stops the work) and nothing is left
behind."""

from __future__ import annotations

import inspect
import io
import logging
import re
import threading
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydicom import dcmread
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.cases import CaseService
from bot.cases.models import AuditEntry, Upload, UploadFile
from bot.config import Settings
from bot.imaging import inspect_files
from bot.staff import exports as exports_module
from bot.staff import streaming
from bot.staff.exports import Exports
from bot.staff.records import Principal
from bot.storage import member_name, stored_path
from bot.storage.encrypted import write_encrypted
from bot.web.console import exports as console_exports
from tests.cases.conftest import JANE, KNEE_MRI, FakeClock
from tests.console.conftest import csrf_of
from tests.console.rasa_events import Chat, store
from tests.fixtures import dicom_factory as factory

BUTTON = "Download de-identified copy"


@pytest.fixture
def case_number(sessions: sessionmaker[Session], clock: FakeClock) -> str:
    return CaseService(sessions, clock).open_case("conv-case", "rest", JANE, KNEE_MRI).number


def store_upload(
    sessions: sessionmaker[Session], settings: Settings, clock: FakeClock, paths: list[Path],
    root: Path, directory: str, conversation: str = "conv-case",
) -> int:
    """The files stored encrypted as the upload service stores them, with the verdict the
    inspection gives them; returns the upload's id."""
    folder = stored_path(directory, settings.uploads_dir)
    folder.mkdir(parents=True)
    verdict = inspect_files(factory.source_files(paths, root))
    with sessions.begin() as session:
        upload = Upload(
            public_id=f"up_{directory[:8]}", conversation_id=conversation, stored_name=directory,
            file_count=len(paths), size_bytes=sum(p.stat().st_size for p in paths),
            kind="mixed", status="checked", verdict=verdict.to_dict(), created_at=clock(),
            checked_at=clock(),
        )
        for position, path in enumerate(paths, start=1):
            written = write_encrypted(folder / member_name(position), settings.storage_key,
                                      [path.read_bytes()])
            upload.files.append(UploadFile(
                position=position, relative_path=path.relative_to(root).as_posix(),
                stored_name=member_name(position), size_bytes=written.size,
                sha256=written.sha256))
        session.add(upload)
        session.flush()
        upload_id = upload.id
    CaseService(sessions, clock).attach_uploads(conversation)
    return upload_id


@pytest.fixture
def dicom_upload(
    sessions: sessionmaker[Session], settings: Settings, clock: FakeClock, case_number: str,
    tmp_path: Path,
) -> int:
    root = tmp_path / "sent"
    paths = factory.ct_series(root / "CD" / "DOE JANE", slices=3, rows=8, cols=8)
    paths.append(factory.report_pdf(root))
    return store_upload(sessions, settings, clock, paths, root, "d" * 24)


@pytest.fixture
def pdf_upload(
    sessions: sessionmaker[Session], settings: Settings, clock: FakeClock, case_number: str,
    tmp_path: Path,
) -> int:
    root = tmp_path / "pdf"
    return store_upload(sessions, settings, clock, [factory.report_pdf(root)], root, "p" * 24)


def audited(sessions: sessionmaker[Session]) -> list[AuditEntry]:
    with sessions() as session:
        return list(session.scalars(
            select(AuditEntry).where(AuditEntry.action == "upload.deidentified_exported")))


def test_staff_download_a_deidentified_copy_from_the_case_page(
    agent: TestClient, case_number: str, dicom_upload: int, sessions: sessionmaker[Session],
    settings: Settings,
) -> None:
    page = agent.get(f"/console/cases/{case_number}").text
    url = f"/console/cases/{case_number}/uploads/{dicom_upload}/deidentified"
    assert BUTTON in page and f'action="{url}"' in page
    response = agent.post(url, data={"csrf_token": csrf_of(agent)})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="deidentified-copy-')
    assert "JANE" not in disposition and case_number not in disposition
    assert response.headers["cache-control"] == "no-store"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = archive.namelist()
    assert names == ["S01/SE001/IM00001.dcm", "S01/SE001/IM00002.dcm", "S01/SE001/IM00003.dcm",
                     "README.txt"]
    readme = archive.read("README.txt").decode()
    assert "Basic Application Level Confidentiality Profile" in readme
    assert "1 not DICOM images" in readme
    for name in names[:-1]:
        ds = dcmread(io.BytesIO(archive.read(name)))
        assert ds.PatientName == "" and ds.PatientIdentityRemoved == "YES"
        assert "DOE" not in str(ds) and factory.JANE.patient_id not in str(ds)
    [entry] = audited(sessions)
    assert (entry.actor, entry.target_type, entry.target_ref) == ("alex", "case", case_number)
    assert entry.details["upload"] == dicom_upload
    assert entry.details["stored_files"] == 4
    assert "JANE" not in str(entry.details).upper()
    assert "content-length" not in response.headers  # sent while it is made
    # Nothing is left behind once sent.
    assert list((settings.var_dir / "exports").iterdir()) == []


def test_from_the_conversation_page_too(
    agent: TestClient, dicom_upload: int, engine: Engine, sessions: sessionmaker[Session],
) -> None:
    store(engine, Chat("conv-case").user("here are my images", "upload_files"))
    url = f"/console/conversations/conv-case/uploads/{dicom_upload}/deidentified"
    assert f'action="{url}"' in agent.get("/console/conversations/conv-case").text
    response = agent.post(url, data={"csrf_token": csrf_of(agent)})
    assert response.status_code == 200 and response.content.startswith(b"PK")
    [entry] = audited(sessions)
    assert entry.target_type == "conversation" and "conv-case" not in str(entry.target_ref)
    other = agent.post(url.replace("conv-case", "conv-other"),
                       data={"csrf_token": csrf_of(agent)})
    assert other.status_code == 404


def test_sign_in_and_the_form_token_are_required(
    anonymous: TestClient, agent: TestClient, case_number: str, dicom_upload: int,
    sessions: sessionmaker[Session],
) -> None:
    url = f"/console/cases/{case_number}/uploads/{dicom_upload}/deidentified"
    assert anonymous.post(url).status_code == 401
    assert anonymous.get(f"/console/cases/{case_number}").status_code == 303  # to sign-in
    assert agent.post(url).status_code == 403
    assert agent.post(url, data={"csrf_token": "forged"}).status_code == 403
    assert agent.get(url).status_code in (404, 405)  # never a GET: every copy is audited
    assert audited(sessions) == []


def test_a_non_dicom_upload_gets_a_clear_message(
    agent: TestClient, case_number: str, pdf_upload: int, sessions: sessionmaker[Session],
) -> None:
    page = agent.get(f"/console/cases/{case_number}").text
    url = f"/console/cases/{case_number}/uploads/{pdf_upload}/deidentified"
    assert url not in page  # no studies: no button
    response = agent.post(url, data={"csrf_token": csrf_of(agent)})
    assert response.status_code == 303
    shown = agent.get(response.headers["location"]).text
    assert re.search(r"no DICOM images to de-identify", shown)
    assert audited(sessions) == []


def test_an_upload_of_damaged_images_says_so(
    agent: TestClient, case_number: str, sessions: sessionmaker[Session], settings: Settings,
    clock: FakeClock, tmp_path: Path,
) -> None:
    root = tmp_path / "cut"
    paths = factory.ct_series(root, slices=1, rows=8, cols=8)
    factory.truncate(paths[0], 0.7)
    upload_id = store_upload(sessions, settings, clock, paths, root, "c" * 24)
    url = f"/console/cases/{case_number}/uploads/{upload_id}/deidentified"
    response = agent.post(url, data={"csrf_token": csrf_of(agent)})
    assert response.status_code == 303
    assert "could be read" in agent.get(response.headers["location"]).text
    assert audited(sessions) == []


def test_an_upload_of_another_case_is_not_reachable(
    agent: TestClient, sessions: sessionmaker[Session], clock: FakeClock, dicom_upload: int,
) -> None:
    other = CaseService(sessions, clock).open_case("conv-other", "rest", JANE, KNEE_MRI).number
    response = agent.post(f"/console/cases/{other}/uploads/{dicom_upload}/deidentified",
                          data={"csrf_token": csrf_of(agent)})
    assert response.status_code == 404 and "No such upload" in response.text
    missing = agent.post("/console/cases/SR-2026-000000-0/uploads/1/deidentified",
                         data={"csrf_token": csrf_of(agent)})
    assert missing.status_code == 404
    assert audited(sessions) == []


# --- sent while it is made ---------------------------------------------------------------------


class Gate:
    """Opening stored files, held at the `held`-th open until `release()`."""

    def __init__(self, held: int) -> None:
        self.held, self.opened, self.released = held, 0, threading.Event()
        self.real = exports_module.open_encrypted

    def __call__(self, *args: Any) -> Any:
        self.opened += 1
        if self.opened == self.held:
            assert self.released.wait(10), "the gate was never released"
        return self.real(*args)

    def release(self) -> None:
        self.released.set()


def _exports(sessions: sessionmaker[Session], settings: Settings, clock: FakeClock) -> Exports:
    return Exports(sessions, settings, clock)


def test_the_copy_starts_with_the_first_image_not_after_the_whole_study(
    sessions: sessionmaker[Session], settings: Settings, clock: FakeClock, case_number: str,
    dicom_upload: int, agent_principal: Principal, monkeypatch: pytest.MonkeyPatch,
) -> None:
    gate = Gate(held=2)  # the second image is still being read
    monkeypatch.setattr(exports_module, "open_encrypted", gate)
    made = _exports(sessions, settings, clock).for_case(agent_principal, case_number, dicom_upload)
    try:
        assert gate.opened == 2 and not gate.released.is_set()
        [entry] = audited(sessions)  # audited before any byte is handed out
        assert entry.details == {"ip": "10.0.0.9", "session": entry.details["session"],
                                 "upload": dicom_upload, "stored_files": 4}
        gate.release()
        archive = zipfile.ZipFile(io.BytesIO(b"".join(made)))
    finally:
        made.close()
    assert archive.namelist()[-1] == "README.txt" and len(archive.namelist()) == 4
    assert archive.testzip() is None
    assert list((settings.var_dir / "exports").iterdir()) == []


def test_a_client_that_goes_away_stops_the_work(
    sessions: sessionmaker[Session], settings: Settings, clock: FakeClock, case_number: str,
    dicom_upload: int, agent_principal: Principal, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(streaming, "BLOCK_SIZE", 256)
    monkeypatch.setattr(streaming, "QUEUED_BLOCKS", 1)
    made = _exports(sessions, settings, clock).for_case(agent_principal, case_number, dicom_upload)
    first = next(iter(made))  # the client reads a little, then leaves
    assert first.startswith(b"PK")
    thread = made.pipe._thread
    assert thread.is_alive()  # waiting for room: it never runs far ahead of the client
    made.close()
    thread.join(5)
    assert not thread.is_alive() and made.pipe.result is None  # stopped, not finished
    assert made.pipe.error is None
    assert list((settings.var_dir / "exports").iterdir()) == []


def test_a_failure_after_the_first_bytes_breaks_the_download_instead_of_ending_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def make(out: streaming.PipeWriter[None]) -> None:
        out.write(b"PK first image")
        out.mark_ready()
        raise OSError("No space left on device: /var/DOE_JANE")

    pipe = streaming.PipeWriter(make, name="deidentified-copy-9")
    pipe.start()
    assert pipe.ready()
    with pytest.raises(streaming.CopyFailed), caplog.at_level(logging.INFO):
        b"".join(pipe)
    pipe.close()
    assert "DOE" not in caplog.text and "OSError" in caplog.text


def test_a_failure_before_the_first_image_is_raised_to_the_request() -> None:
    def make(out: streaming.PipeWriter[None]) -> None:
        raise OSError("disk gone")

    pipe = streaming.PipeWriter(make, name="deidentified-copy-9")
    pipe.start()
    with pytest.raises(OSError, match="disk gone"):
        pipe.ready()
    pipe.close()


def test_routes_are_plain_functions_so_the_export_never_runs_on_the_event_loop() -> None:
    for route in console_exports.router.routes:
        assert not inspect.iscoroutinefunction(route.endpoint), route  # type: ignore[attr-defined]
