"""Cases in the console: queue filters, detail, status changes, assignment, notes, and file
downloads for admins only — each view and change audited."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.cases import CaseService
from bot.cases.models import AuditEntry, Upload, UploadFile
from bot.config import Settings
from bot.storage import member_name, stored_path
from bot.storage.encrypted import write_encrypted
from tests.cases.conftest import JANE, KNEE_MRI, FakeClock
from tests.console.conftest import csrf_of
from tests.console.rasa_events import Chat, store

SCAN = b"DICM" + bytes(range(256)) * 300


@pytest.fixture
def case_number(sessions: sessionmaker[Session], clock: FakeClock) -> str:
    return CaseService(sessions, clock).open_case("conv-case", "rest", JANE, KNEE_MRI).number


@pytest.fixture
def uploaded(
    sessions: sessionmaker[Session], settings: Settings, case_number: str, clock: FakeClock
) -> tuple[int, int]:
    """One checked upload of one encrypted file, linked to the case: (upload id, position)."""
    directory = "u" + "x" * 20
    path = stored_path(directory, settings.uploads_dir)
    path.mkdir(parents=True)
    written = write_encrypted(path / member_name(1), settings.storage_key, [SCAN])
    with sessions.begin() as session:
        upload = Upload(
            public_id="up_test", conversation_id="conv-case", stored_name=directory,
            file_count=1, size_bytes=len(SCAN), kind="dicom", status="checked",
            verdict={"message": "Your MRI images look complete."}, created_at=clock(),
            checked_at=clock(),
        )
        upload.files.append(UploadFile(position=1, relative_path="CD/Jane Q knee/IM0001.dcm",
                                       stored_name=member_name(1), size_bytes=len(SCAN),
                                       sha256=written.sha256 if hasattr(written, "sha256")
                                       else "0" * 64))
        session.add(upload)
    CaseService(sessions, clock).attach_uploads("conv-case")
    with sessions() as session:
        upload_id = session.scalars(select(Upload.id)).one()
    return upload_id, 1


def audited(sessions: sessionmaker[Session], action: str) -> list[AuditEntry]:
    with sessions() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_case_detail_shows_contact_answers_and_history(
    agent: TestClient, case_number: str, sessions: sessionmaker[Session]
) -> None:
    page = agent.get(f"/console/cases/{case_number}")
    assert page.status_code == 200
    for shown in ("Janet Quillfeather", "1971-08-23", "janet.quillfeather@example.org",
                  "+16175550142", "Harbor Imaging", "Musculoskeletal radiology", "MRI · knee",
                  "PPO"):
        assert shown in page.text
    assert [e.target_ref for e in audited(sessions, "case.viewed")] == [case_number]
    assert agent.get(f"/console/cases/{case_number.lower()}").status_code == 200
    assert agent.get("/console/cases/SR-2026-000000-0").status_code == 404


def test_queue_filters(
    agent: TestClient, sessions: sessionmaker[Session], clock: FakeClock, case_number: str
) -> None:
    ten_days_ago = FakeClock(clock.now - timedelta(days=10))
    old = CaseService(sessions, ten_days_ago).open_case("conv-2", "socketio", JANE, KNEE_MRI)
    listed = agent.get("/console/cases").text
    assert case_number in listed and old.number in listed
    assert listed.index(old.number) < listed.index(case_number)  # oldest first
    assert "10 d" in listed
    older = agent.get("/console/cases", params={"age": "over7"}).text
    assert old.number in older and case_number not in older
    recent = agent.get("/console/cases", params={"age": "new"}).text
    assert case_number in recent and old.number not in recent
    none = agent.get("/console/cases", params={"subspecialty": "neuroradiology"}).text
    assert "No cases match." in none
    assert case_number in agent.get("/console/cases",
                                    params={"subspecialty": "musculoskeletal"}).text
    assert "Janet" not in listed  # the queue shows no names
    typed = case_number.lower().replace("0", "o")  # as read out on the phone
    found = agent.get("/console/cases", params={"number": typed}).text
    assert case_number in found and old.number not in found
    assert "No cases match." in agent.get("/console/cases", params={"number": "SR-1"}).text


def test_status_changes_follow_the_case_rules(
    agent: TestClient, case_number: str, sessions: sessionmaker[Session]
) -> None:
    url = f"/console/cases/{case_number}"
    token = csrf_of(agent, url)
    done = agent.post(f"{url}/status", data={"csrf_token": token, "to": "records_requested",
                                             "note": "Asked Harbor Imaging"})
    assert done.status_code == 303
    page = agent.get(url).text
    assert 'id="case-status">records requested' in page and "Asked Harbor Imaging" in page
    skip = agent.post(f"{url}/status", data={"csrf_token": token, "to": "closed"})
    assert skip.status_code == 409
    bogus = agent.post(f"{url}/status", data={"csrf_token": token, "to": "teleported"})
    assert bogus.status_code == 400
    [entry] = audited(sessions, "case.status_changed")
    assert (entry.actor, entry.details) == ("alex", {"from": "new", "to": "records_requested"})
    with sessions() as session:
        login = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "staff.login", AuditEntry.actor == "alex")).one()
    assert entry.source == f"console:{login.details['session']}"
    assert case_number in agent.get("/console/cases",
                                    params={"status": "records_requested"}).text


def test_assignment_and_notes(
    agent: TestClient, admin: TestClient, case_number: str, sessions: sessionmaker[Session]
) -> None:
    url = f"/console/cases/{case_number}"
    token = csrf_of(agent, url)
    agent.post(f"{url}/assign", data={"csrf_token": token, "username": "ada"})
    assert case_number not in agent.get("/console/cases", params={"assigned": "none"}).text
    mine = admin.get("/console/cases", params={"assigned": "me"}).text
    assert case_number in mine
    assert case_number not in agent.get("/console/cases", params={"assigned": "me"}).text
    unknown = agent.post(f"{url}/assign", data={"csrf_token": token, "username": "mallory"})
    assert unknown.status_code == 400
    agent.post(f"{url}/notes", data={"csrf_token": token, "body": "Left a voicemail for Janet"})
    assert "Left a voicemail for Janet" in agent.get(url).text
    [assigned] = audited(sessions, "case.assigned")
    assert assigned.details["to"] == "ada"
    [note] = audited(sessions, "case.note_added")
    assert "Janet" not in str(note.details)


def test_admins_download_the_original_file_agents_cannot(
    admin: TestClient, agent: TestClient, case_number: str, uploaded: tuple[int, int],
    sessions: sessionmaker[Session],
) -> None:
    upload_id, position = uploaded
    url = f"/console/cases/{case_number}/uploads/{upload_id}/files/{position}"
    agent_page = agent.get(f"/console/cases/{case_number}").text
    assert "Your MRI images look complete." in agent_page
    assert "IM0001.dcm" not in agent_page and url not in agent_page
    assert agent.get(url).status_code == 403
    assert f'href="{url}"' in admin.get(f"/console/cases/{case_number}").text
    response = admin.get(url)
    assert response.status_code == 200 and response.content == SCAN
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"] == "attachment; filename*=UTF-8''IM0001.dcm"
    assert response.headers["x-content-type-options"] == "nosniff"
    [entry] = audited(sessions, "upload.file_downloaded")
    assert (entry.actor, entry.target_ref) == ("ada", case_number)
    assert "IM0001" not in str(entry.details)
    assert admin.get(url.replace(f"/files/{position}", "/files/9")).status_code == 404


def test_a_file_of_another_case_is_not_reachable(
    admin: TestClient, sessions: sessionmaker[Session], uploaded: tuple[int, int],
    clock: FakeClock,
) -> None:
    other = CaseService(sessions, clock).open_case("conv-other", "rest", JANE, KNEE_MRI).number
    upload_id, position = uploaded
    response = admin.get(f"/console/cases/{other}/uploads/{upload_id}/files/{position}")
    assert response.status_code == 404
    assert re.search("No such file", response.text)


def test_open_queue_hides_closed_cases(
    agent: TestClient, sessions: sessionmaker[Session], clock: FakeClock, case_number: str
) -> None:
    from bot.cases.status import CaseStatus

    CaseService(sessions, clock).change_status(case_number, CaseStatus.CANCELLED, "ada")
    assert case_number not in agent.get("/console/cases").text
    assert case_number in agent.get("/console/cases", params={"status": "cancelled"}).text
    page = agent.get(f"/console/cases/{case_number}").text
    assert "This case is cancelled." in page


def test_admins_download_from_the_conversation_too(
    admin: TestClient, agent: TestClient, uploaded: tuple[int, int], engine: Engine,
    sessions: sessionmaker[Session],
) -> None:
    store(engine, Chat("conv-case").user("here are my images", "upload_files"))
    upload_id, position = uploaded
    url = f"/console/conversations/conv-case/uploads/{upload_id}/files/{position}"
    assert f'href="{url}"' in admin.get("/console/conversations/conv-case").text
    assert url not in agent.get("/console/conversations/conv-case").text
    assert agent.get(url).status_code == 403
    response = admin.get(url)
    assert response.status_code == 200 and response.content == SCAN
    other = admin.get(url.replace("conv-case", "conv-other"))
    assert other.status_code == 404
    [entry] = audited(sessions, "upload.file_downloaded")
    assert entry.target_type == "conversation" and "conv-case" not in str(entry.target_ref)


def test_case_page_shows_the_status_lookup_lock(
    agent: TestClient, case_number: str, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    service = CaseService(sessions, clock)
    assert "No wrong answers in the last hour" in agent.get(f"/console/cases/{case_number}").text
    wrong = JANE.date_of_birth + timedelta(days=1)
    service.lookup_status("guesser-1", case_number, wrong, clock.now)
    page = agent.get(f"/console/cases/{case_number}").text
    assert "1 wrong answer(s) in the last hour; not locked" in page
    for sender in ("guesser-2", "guesser-3"):
        service.lookup_status(sender, case_number, wrong, clock.now)
    page = agent.get(f"/console/cases/{case_number}").text
    lock = re.search(r'id="status-lookups">(.*?)</div>', page, re.S)
    assert lock is not None and "Locked" in lock.group(1)
    assert "3 wrong answers in the last hour" in lock.group(1)
