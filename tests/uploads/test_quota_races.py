"""The conversation quota under parallel uploads, on SQLite and PostgreSQL: resumable files
created at once, and uploads completed at once, never pass the limit together."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings, UploadLimits
from bot.uploads.records import ConversationQuotaExceeded, StoredFile
from bot.uploads.resumable import ResumableUploads
from bot.uploads.service import UploadService
from tests.uploads.conftest import make_settings

LIMIT = 1000
EACH = 300  # three fit, the fourth does not
PARALLEL = 8


@pytest.fixture
def limited(tmp_path: Path) -> Settings:
    settings = make_settings(tmp_path / "var")
    return replace(settings, upload_limits=UploadLimits(max_conversation_bytes=LIMIT))


def _at_once(work: Callable[[int], None]) -> list[BaseException | None]:
    """Run `work(i)` on PARALLEL threads released together; each one's exception or None."""
    start = threading.Barrier(PARALLEL)
    results: list[BaseException | None] = [None] * PARALLEL

    def run(index: int) -> None:
        start.wait()
        try:
            work(index)
        except BaseException as error:  # collected for the assertion
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_parallel_resumable_files_cannot_pass_the_quota(
    sessions: sessionmaker[Session], limited: Settings
) -> None:
    uploads = UploadService(sessions, limited)
    files = ResumableUploads(sessions, limited, uploads)
    batches = [uploads.begin("conv-a") for _ in range(PARALLEL)]

    results = _at_once(
        lambda i: files.create_file("conv-a", batches[i].public_id, EACH, f"f{i}.dcm")
    )
    refused = [r for r in results if isinstance(r, ConversationQuotaExceeded)]
    assert [r for r in results if r is not None and r not in refused] == []
    assert (PARALLEL - len(refused), len(refused)) == (LIMIT // EACH, PARALLEL - LIMIT // EACH)
    assert uploads.stored_bytes("conv-a") == EACH * (LIMIT // EACH)


def test_parallel_completions_cannot_pass_the_quota(
    sessions: sessionmaker[Session], limited: Settings
) -> None:
    uploads = UploadService(sessions, limited)
    batches = [uploads.begin("conv-a") for _ in range(PARALLEL)]
    file = StoredFile(1, "IM0001.dcm", "f000001.sre", EACH, "0" * 64)

    results = _at_once(lambda i: uploads.complete(batches[i].id, [file], "dicom"))
    refused = [r for r in results if isinstance(r, ConversationQuotaExceeded)]
    assert [r for r in results if r is not None and r not in refused] == []
    assert len(refused) == PARALLEL - LIMIT // EACH
    assert uploads.stored_bytes("conv-a") == EACH * (LIMIT // EACH)
