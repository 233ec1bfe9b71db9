"""The uploads service on SQLite and PostgreSQL: what the conversation side reads, the receive
life cycle, and the worker's claims."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.cases import CaseService
from bot.cases.models import Case, Upload, UploadFile
from bot.config import Settings, UploadLimits
from bot.storage.encrypted import write_encrypted
from bot.uploads.records import (
    ConversationQuotaExceeded,
    StoredFile,
    UploadGone,
    UploadRecord,
    UploadStatus,
)
from bot.uploads.service import UploadService
from tests.cases.conftest import JANE, KNEE_MRI, FakeClock
from tests.uploads.conftest import make_settings


@pytest.fixture
def uploads(sessions: sessionmaker[Session], tmp_path: Path, clock: FakeClock) -> UploadService:
    return UploadService(sessions, make_settings(tmp_path / "var"), clock=clock)


def store(
    service: UploadService, conversation_id: str, sizes: tuple[int, ...] = (10,), key: bytes = b""
) -> UploadRecord:
    """A complete upload the way the receiver makes one: begin, write files, complete."""
    new = service.begin(conversation_id)
    files = []
    for position, size in enumerate(sizes, start=1):
        name = f"f{position:06d}.sre"
        written = write_encrypted(new.directory / name, key or bytes(32), [b"x" * size])
        files.append(StoredFile(position, f"CD/IMG{position}", name, written.size, written.sha256))
    return service.complete(new.id, files, "folder")


def test_a_new_upload_is_receiving_and_invisible(uploads: UploadService) -> None:
    new = uploads.begin("conv-a")
    assert new.public_id.startswith("up_") and len(new.public_id) > 20
    assert new.directory.is_dir() and not any(new.directory.iterdir())
    assert uploads.for_conversation("conv-a") == []
    assert uploads.statuses("conv-a", [new.public_id]) == []
    assert uploads.get("conv-a", new.public_id) is None
    assert uploads.stored_bytes("conv-a") == 0


def test_complete_records_files_and_queues(uploads: UploadService) -> None:
    record = store(uploads, "conv-a", (10, 20, 0))
    assert (record.status, record.file_count, record.size_bytes) == ("pending", 3, 30)
    assert record.verdict is None and record.checked_at is None and record.case_id is None
    details = uploads.get("conv-a", record.public_id)
    assert details is not None
    assert [f.relative_path for f in details.files] == ["CD/IMG1", "CD/IMG2", "CD/IMG3"]
    assert [f.size_bytes for f in details.files] == [10, 20, 0]
    assert uploads.stored_bytes("conv-a") == 30
    assert uploads.unchecked() == [record.public_id]


def test_statuses_only_for_the_conversation_in_the_given_order(uploads: UploadService) -> None:
    first, second = store(uploads, "conv-a"), store(uploads, "conv-a")
    theirs = store(uploads, "conv-b")
    found = uploads.statuses(
        "conv-a", [second.public_id, "up_unknown", theirs.public_id, first.public_id]
    )
    assert [r.public_id for r in found] == [second.public_id, first.public_id]
    assert uploads.statuses("conv-a", []) == []
    assert [r.public_id for r in uploads.for_conversation("conv-a")] == [
        first.public_id,
        second.public_id,
    ]
    assert uploads.get("conv-a", theirs.public_id) is None


def test_check_life_cycle(uploads: UploadService, clock: FakeClock) -> None:
    record = store(uploads, "conv-a", (5, 6))
    job = uploads.start_check(record.public_id)
    assert job is not None
    assert [f.stored_name for f in job.files] == ["f000001.sre", "f000002.sre"]
    assert all((job.directory / f.stored_name).is_file() for f in job.files)
    assert uploads.statuses("conv-a", [record.public_id])[0].status == "checking"
    # A restart finds it still unchecked, and may claim it again.
    assert uploads.unchecked() == [record.public_id]
    assert uploads.start_check(record.public_id) is not None

    clock.advance(timedelta(seconds=3))
    done = uploads.finish_check(
        record.public_id, failed=False, verdict={"ok": True, "message": "fine"}, kind="dicom"
    )
    assert done is not None
    assert (done.status, done.verdict, done.checked_at) == (
        "checked", {"ok": True, "message": "fine"}, clock.now,
    )  # fmt: skip
    assert uploads.unchecked() == []
    assert uploads.start_check(record.public_id) is None
    assert uploads.finish_check(record.public_id, failed=True, verdict={}) is None


def test_attach_to_case_links_only_checked_uploads_of_the_conversation(
    uploads: UploadService, sessions: sessionmaker[Session], clock: FakeClock
) -> None:
    case = CaseService(sessions, clock=clock).open_case("conv-a", "rest", JANE, KNEE_MRI)
    with sessions() as session:
        case_id = session.scalar(select(Case.id).where(Case.number == case.number))
    assert case_id is not None
    checked, pending = store(uploads, "conv-a"), store(uploads, "conv-a")
    other = store(uploads, "conv-b")
    for record in (checked, other):
        uploads.start_check(record.public_id)
        uploads.finish_check(record.public_id, failed=False, verdict={"ok": True})
    assert uploads.attach_to_case("conv-a", case_id) == 1
    assert uploads.attach_to_case("conv-a", case_id) == 0
    by_id = {r.public_id: r for r in uploads.for_conversation("conv-a")}
    assert by_id[checked.public_id].case_id == case_id
    assert by_id[pending.public_id].case_id is None
    assert uploads.for_conversation("conv-b")[0].case_id is None


def test_the_conversation_limit_is_checked_when_completing(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    settings = make_settings(tmp_path / "var", max_conversation_bytes=100)
    uploads = UploadService(sessions, settings)
    store(uploads, "conv-a", (60,))
    with pytest.raises(ConversationQuotaExceeded):
        store(uploads, "conv-a", (41,))
    assert store(uploads, "conv-b", (100,)).size_bytes == 100  # per conversation


def test_abandon_removes_row_and_files(
    uploads: UploadService, sessions: sessionmaker[Session]
) -> None:
    new = uploads.begin("conv-a")
    write_encrypted(new.directory / "f000001.sre", bytes(32), [b"partial"])
    uploads.abandon(new.id)
    assert not new.directory.exists()
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Upload)) == 0
    uploads.abandon(new.id)  # twice is harmless


def test_abandon_never_touches_a_stored_upload(uploads: UploadService) -> None:
    record = store(uploads, "conv-a")
    with uploads._sessions() as session:  # the row id, as the receiver would hold it
        upload_id = session.scalar(select(Upload.id).where(Upload.public_id == record.public_id))
    assert upload_id is not None
    uploads.abandon(upload_id)
    assert uploads.statuses("conv-a", [record.public_id])[0].status == "pending"


def test_complete_after_erasure_is_refused(
    uploads: UploadService, sessions: sessionmaker[Session]
) -> None:
    new = uploads.begin("conv-a")
    with sessions.begin() as session:
        session.execute(Upload.__table__.delete())
    with pytest.raises(UploadGone):
        uploads.complete(new.id, [], "file")


def test_sweep_removes_only_old_receiving_uploads(uploads: UploadService, clock: FakeClock) -> None:
    old = uploads.begin("conv-a")
    clock.advance(timedelta(hours=30))
    recent = uploads.begin("conv-a")
    stored = store(uploads, "conv-a")
    assert uploads.sweep_receiving(timedelta(hours=24)) == 1
    assert not old.directory.exists() and recent.directory.exists()
    assert uploads.statuses("conv-a", [stored.public_id])[0].status == "pending"


def test_deleting_an_upload_deletes_its_file_rows(
    uploads: UploadService, sessions: sessionmaker[Session]
) -> None:
    store(uploads, "conv-a", (1, 2, 3))
    with sessions.begin() as session:
        session.execute(Upload.__table__.delete())
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(UploadFile)) == 0


def test_statuses_are_plain_strings(uploads: UploadService) -> None:
    record = store(uploads, "conv-a")
    assert type(record.status) is str and record.status == UploadStatus.PENDING


def test_limits_come_from_settings(tmp_path: Path) -> None:
    settings = Settings.from_env({"VAR_DIR": str(tmp_path), "UPLOAD_MAX_CONVERSATION_BYTES": "7"})
    assert settings.upload_limits == UploadLimits(max_conversation_bytes=7)
