"""'Delete my data' removes the conversation's uploads: rows, file rows, directories, files."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.cases import CaseService
from bot.cases.models import Upload, UploadFile
from bot.storage import remove_stored_file
from bot.uploads.service import UploadService
from tests.cases.conftest import JANE, KNEE_MRI, FakeClock
from tests.uploads.conftest import make_settings
from tests.uploads.test_service import store


def _count(sessions: sessionmaker[Session], model: type[Upload] | type[UploadFile]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_erasure_removes_files_directories_and_rows(
    sessions: sessionmaker[Session], tmp_path: Path, clock: FakeClock
) -> None:
    settings = make_settings(tmp_path / "var")
    uploads = UploadService(sessions, settings, clock=clock)
    cases = CaseService(sessions, clock=clock)
    cases.open_case("conv-jane", "rest", JANE, KNEE_MRI)
    checked = store(uploads, "conv-jane", (10, 20))
    uploads.start_check(checked.public_id)
    uploads.finish_check(checked.public_id, failed=False, verdict={"ok": True})
    store(uploads, "conv-jane", (5,))  # pending, no case
    receiving = uploads.begin("conv-jane")  # still arriving
    theirs = store(uploads, "conv-oskar", (7,))
    assert len(list(settings.uploads_dir.iterdir())) == 4

    remove = functools.partial(remove_stored_file, root=settings.uploads_dir)
    report = cases.delete_patient_data("conv-jane", remove)

    assert report.uploads == 3
    assert not receiving.directory.exists()
    left = list(settings.uploads_dir.iterdir())
    assert len(left) == 1 and len(list(left[0].iterdir())) == 1
    assert _count(sessions, Upload) == 1 and _count(sessions, UploadFile) == 1
    assert uploads.for_conversation("conv-oskar")[0].public_id == theirs.public_id
    # Retrying after a partial failure is safe: everything is already gone.
    assert cases.delete_patient_data("conv-jane", remove).uploads == 0


def test_remove_stored_file_handles_directories_files_and_missing(tmp_path: Path) -> None:
    directory = tmp_path / "abcdefgh1234"
    (directory / "nested").mkdir(parents=True)
    (directory / "f000001.sre").write_bytes(b"x")
    remove_stored_file("abcdefgh1234", root=tmp_path)
    assert not directory.exists()
    (tmp_path / "legacy-file.bin").write_bytes(b"x")
    remove_stored_file("legacy-file.bin", root=tmp_path)
    assert not (tmp_path / "legacy-file.bin").exists()
    remove_stored_file("abcdefgh1234", root=tmp_path)  # already gone


def test_stored_names_cannot_escape_the_uploads_directory(tmp_path: Path) -> None:
    for name in ("../etc", "a/b", "", ".", "x" * 200, "..%2f"):
        with pytest.raises(ValueError):
            remove_stored_file(name, root=tmp_path)
