"""Appending to an encrypted file across requests: what a request leaves is durable, a resumed
file reads back whole and authenticated, and an unfinished or stale state never passes."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest

from bot.storage.encrypted import CorruptStoredFile, open_encrypted
from bot.storage.files import file_store
from bot.storage.resumable import ResumableWriter, stored_offset, tail_path
from tests.uploads.file_stores import raw

KEY = os.urandom(32)
pytestmark = pytest.mark.usefixtures("file_backend")
CHUNK = 4096  # small chunks so a few KB cross several boundaries


def _append(path: Path, data: bytes, *, create: bool = False, hasher: object = None,
            expected: int = -1, length: int | None = None) -> ResumableWriter:  # fmt: skip
    if create:
        writer = ResumableWriter.create(path, KEY, CHUNK, length=length)
    else:
        writer = ResumableWriter.resume(
            path, KEY, hasher=hasher, expected_size=expected, length=length
        )
    writer.write(data)
    return writer


def _read(path: Path) -> bytes:
    with open_encrypted(path, KEY) as stream:
        return stream.read()


@pytest.mark.parametrize("known_length", [False, True])
@pytest.mark.parametrize(
    "sizes",
    [[0], [10], [CHUNK], [CHUNK + 1, 7], [3, CHUNK * 2, 1, 5000], [CHUNK, CHUNK, CHUNK],
     [2 * CHUNK, CHUNK + 5]],
)  # fmt: skip
def test_pieces_written_by_separate_requests_read_back_as_one_file(
    tmp_path: Path, sizes: list[int], known_length: bool
) -> None:
    path = tmp_path / "f000001.sre"
    data = os.urandom(sum(sizes))
    length = len(data) if known_length else None
    start, hasher, offset = 0, None, -1
    for index, size in enumerate(sizes):
        writer = _append(path, data[start : start + size], create=index == 0,
                         hasher=hasher, expected=offset, length=length)  # fmt: skip
        start += size
        if index < len(sizes) - 1:
            offset = writer.suspend()
            hasher = writer.hasher
            assert offset == start == stored_offset(path, KEY)
    written = writer.finish()
    assert _read(path) == data
    if known_length and sizes == [CHUNK, CHUNK, CHUNK]:
        assert written.size == 3 * CHUNK  # (and no tail was ever needed between pieces)
    assert written.size == len(data)
    assert written.sha256 == hashlib.sha256(data).hexdigest()
    assert not file_store().exists(tail_path(path))


def test_without_the_running_hash_the_sealed_file_is_hashed_correctly(tmp_path: Path) -> None:
    path = tmp_path / "f000001.sre"
    data = os.urandom(3 * CHUNK + 123)
    _append(path, data[:5000], create=True).suspend()
    writer = _append(path, data[5000:])  # another process: no hash in memory
    assert writer.hasher is None
    assert writer.finish().sha256 == hashlib.sha256(data).hexdigest()


def test_a_hash_for_another_offset_is_not_trusted(tmp_path: Path) -> None:
    path = tmp_path / "f000001.sre"
    data = os.urandom(2 * CHUNK)
    first = _append(path, data[:100], create=True)
    first.suspend()
    stale = hashlib.sha256(b"something else")
    writer = _append(path, data[100:], hasher=stale, expected=99)
    assert writer.finish().sha256 == hashlib.sha256(data).hexdigest()


def test_an_unfinished_file_never_reads_as_complete(tmp_path: Path) -> None:
    path = tmp_path / "f000001.sre"
    _append(path, os.urandom(3 * CHUNK + 10), create=True).suspend()
    with pytest.raises(CorruptStoredFile):
        _read(path)


def test_bytes_after_the_last_suspend_are_not_acknowledged(tmp_path: Path) -> None:
    path = tmp_path / "f000001.sre"
    data = os.urandom(5000)
    _append(path, data[:1000], create=True).suspend()
    lost = _append(path, os.urandom(10))
    lost.abort()  # a crash before the request ended: its 10 bytes were never acknowledged
    assert stored_offset(path, KEY) == 1000
    writer = _append(path, data[1000:])
    writer.finish()
    assert _read(path) == data


def test_a_crash_between_sealing_and_saving_the_tail_resumes_at_the_sealed_chunks(
    tmp_path: Path,
) -> None:
    path = tmp_path / "f000001.sre"
    data = os.urandom(3 * CHUNK)
    _append(path, data[:100], create=True).suspend()  # tail: 100 bytes after 0 chunks
    writer = _append(path, data[100 : 2 * CHUNK + 50])  # seals chunks 0 and 1; 50 buffered
    writer.abort()  # crash: the old tail (after 0 chunks) is stale now
    resumed_at = stored_offset(path, KEY)
    assert resumed_at == 2 * CHUNK  # the sealed chunks hold the old tail's bytes
    writer = _append(path, data[resumed_at:])
    writer.finish()
    assert _read(path) == data


def test_a_half_written_chunk_is_cut_off_on_resume(tmp_path: Path) -> None:
    path = tmp_path / "f000001.sre"
    data = os.urandom(2 * CHUNK + 5)
    _append(path, data[: CHUNK + 1], create=True).suspend()  # chunk 0 sealed, tail 1 byte
    with file_store().open_update(path) as file:
        file.seek(0, io.SEEK_END)
        file.write(b"\0" * 100)  # a torn write of the next chunk
    assert stored_offset(path, KEY) == CHUNK + 1
    writer = _append(path, data[CHUNK + 1 :])
    writer.finish()
    assert _read(path) == data


def test_a_tail_under_another_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "f000001.sre"
    _append(path, b"x" * 10, create=True).suspend()
    with pytest.raises(CorruptStoredFile):
        ResumableWriter.resume(path, os.urandom(32))


def test_with_the_length_known_pieces_on_chunk_boundaries_leave_no_tail(tmp_path: Path) -> None:
    path = tmp_path / "f000001.sre"
    data = os.urandom(3 * CHUNK)
    _append(path, data[:CHUNK], create=True, length=len(data)).suspend()
    assert not file_store().exists(tail_path(path))
    assert stored_offset(path, KEY) == CHUNK
    _append(path, data[CHUNK : 2 * CHUNK], length=len(data)).suspend()
    assert not file_store().exists(tail_path(path))
    writer = _append(path, data[2 * CHUNK :], length=len(data))
    writer.finish()
    assert _read(path) == data


def test_the_tail_is_encrypted(tmp_path: Path) -> None:
    path = tmp_path / "f000001.sre"
    marker = b"PLAINTEXT-MARKER-Quillfeather" * 10
    _append(path, marker, create=True).suspend()
    assert marker[:20] not in raw(tail_path(path))
    assert marker[:20] not in raw(path)
