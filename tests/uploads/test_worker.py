"""The inspection worker with a fake inspector: verdicts written, crashes contained, and
nothing lost across a restart."""

from __future__ import annotations

import asyncio
import hashlib
import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.cases.models import Upload
from bot.config import Settings
from bot.storage import stored_path
from bot.uploads.records import UploadRecord
from bot.uploads.service import UploadService
from bot.uploads.worker import FAILED_MESSAGE, InspectionWorker
from tests.cases.conftest import FakeClock
from tests.uploads.conftest import FakeInspector
from tests.uploads.test_service import store


async def test_writes_the_verdict_and_calls_back(
    upload_service: UploadService, settings: Settings, inspector: FakeInspector
) -> None:
    record = store(upload_service, "conv-a", (3, 4), key=settings.storage_key)
    seen: list[UploadRecord] = []

    async def on_checked(checked: UploadRecord) -> None:
        seen.append(checked)

    worker = InspectionWorker(upload_service, settings.storage_key, inspector, on_checked)
    await worker.start()  # finds the pending upload by itself
    await worker.idle()
    await worker.stop()

    [checked] = upload_service.statuses("conv-a", [record.public_id])
    assert checked.status == "checked" and checked.checked_at is not None
    assert checked.verdict is not None
    assert checked.verdict["sha256"] == {
        "CD/IMG1": hashlib.sha256(b"xxx").hexdigest(),
        "CD/IMG2": hashlib.sha256(b"xxxx").hexdigest(),
    }
    assert seen == [checked]
    assert inspector.calls == [["CD/IMG1", "CD/IMG2"]]


async def test_an_inspector_crash_marks_failed_and_keeps_the_files(
    upload_service: UploadService, settings: Settings, caplog: object
) -> None:
    record = store(upload_service, "conv-a", (3,), key=settings.storage_key)
    worker = InspectionWorker(upload_service, settings.storage_key, FakeInspector(fail=True))
    checked = await worker.check(record.public_id)
    assert checked is not None and checked.status == "failed"
    assert checked.verdict == {"ok": False, "message": FAILED_MESSAGE, "error": "inspection_failed"}
    details = upload_service.get("conv-a", record.public_id)
    assert details is not None
    directory = stored_path(_stored_name(upload_service, record.public_id), settings.uploads_dir)
    assert (directory / details.files[0].stored_name).is_file()
    # The crash's message quoted a file name; the log has the type only.
    assert "Jane" not in caplog.text  # type: ignore[attr-defined]
    assert "RuntimeError" in caplog.text  # type: ignore[attr-defined]


def _stored_name(service: UploadService, public_id: str) -> str:
    with service._sessions() as session:
        name = session.scalar(select(Upload.stored_name).where(Upload.public_id == public_id))
    assert name is not None
    return name


async def test_a_failing_callback_does_not_stop_the_worker(
    upload_service: UploadService, settings: Settings, inspector: FakeInspector
) -> None:
    first = store(upload_service, "conv-a", key=settings.storage_key)
    second = store(upload_service, "conv-a", key=settings.storage_key)

    async def broken(_record: UploadRecord) -> None:
        raise ConnectionError("rasa is down")

    worker = InspectionWorker(upload_service, settings.storage_key, inspector, broken)
    await worker.start()
    await worker.idle()
    await worker.stop()
    statuses = upload_service.statuses("conv-a", [first.public_id, second.public_id])
    assert [r.status for r in statuses] == ["checked", "checked"]


async def test_a_restart_loses_nothing(upload_service: UploadService, settings: Settings) -> None:
    waiting = store(upload_service, "conv-a", key=settings.storage_key)
    interrupted = store(upload_service, "conv-a", key=settings.storage_key)
    gate = threading.Event()
    stuck = FakeInspector(gate=gate)
    worker = InspectionWorker(upload_service, settings.storage_key, stuck)
    await worker.start()
    # Stopped while the first check runs: it stays `checking`, the other stays `pending`.
    while upload_service.statuses("conv-a", [waiting.public_id])[0].status != "checking":
        await asyncio.sleep(0.01)
    await worker.stop()
    gate.set()
    ids = [waiting.public_id, interrupted.public_id]
    assert {r.status for r in upload_service.statuses("conv-a", ids)} == {"checking", "pending"}

    restarted = InspectionWorker(upload_service, settings.storage_key, FakeInspector())
    await restarted.start()
    await restarted.idle()
    await restarted.stop()
    assert [r.status for r in upload_service.statuses("conv-a", ids)] == ["checked", "checked"]


async def test_start_sweeps_abandoned_receptions(
    sqlite_sessions: sessionmaker[Session], settings: Settings
) -> None:
    clock = FakeClock(datetime(2026, 3, 1, tzinfo=UTC))
    service = UploadService(sqlite_sessions, settings, clock=clock)
    abandoned = service.begin("conv-a")  # a crash mid-upload left this behind
    clock.advance(timedelta(days=2))
    recent = service.begin("conv-a")  # maybe still arriving
    worker = InspectionWorker(service, settings.storage_key, FakeInspector())
    await worker.start()
    await worker.stop()
    assert not abandoned.directory.exists()
    assert recent.directory.exists()


async def test_checking_an_unknown_or_finished_upload_does_nothing(
    upload_service: UploadService, settings: Settings, inspector: FakeInspector
) -> None:
    worker = InspectionWorker(upload_service, settings.storage_key, inspector)
    assert await worker.check("up_unknown") is None
    record = store(upload_service, "conv-a", key=settings.storage_key)
    assert await worker.check(record.public_id) is not None
    assert await worker.check(record.public_id) is None
    assert len(inspector.calls) == 1
