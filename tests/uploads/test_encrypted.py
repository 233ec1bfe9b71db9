"""Encryption at rest: round trips, seeking, and every way of tampering is caught."""

from __future__ import annotations

import hashlib
import io
import os
import random
from pathlib import Path

import pytest

from bot.storage.encrypted import (
    HEADER,
    TAG_SIZE,
    CorruptStoredFile,
    EncryptedReader,
    EncryptedWriter,
    open_encrypted,
    write_encrypted,
)
from bot.storage.files import file_store
from tests.uploads.file_stores import put_raw, raw

KEY = bytes(range(32))
pytestmark = pytest.mark.usefixtures("file_backend")
CHUNK = 64  # small chunks make boundaries cheap to test; the format is the same at 1 MiB


def _write(path: Path, data: bytes, chunk: int = CHUNK, piece: int = 7) -> None:
    pieces = [data[i : i + piece] for i in range(0, len(data), piece)]
    result = write_encrypted(path, KEY, pieces, chunk_size=chunk)
    assert result.size == len(data)
    assert result.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    "size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 2 * CHUNK + 1, 5 * CHUNK - 3]
)
def test_round_trip_around_chunk_boundaries(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    path = tmp_path / "f.sre"
    _write(path, data)
    chunks = max(1, -(-size // CHUNK))
    assert file_store().size(path) == HEADER.size + size + chunks * TAG_SIZE
    with open_encrypted(path, KEY) as stream:
        assert stream.read() == data
        assert stream.read() == b""
    with EncryptedReader(path, KEY) as raw:
        assert raw.size == size


def test_default_chunk_size_round_trip(tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 5)
    path = tmp_path / "big.sre"
    writer = EncryptedWriter(path, KEY)
    view = memoryview(data)
    for start in range(0, len(data), 65536):
        writer.write(view[start : start + 65536])
    assert writer.close().sha256 == hashlib.sha256(data).hexdigest()
    with open_encrypted(path, KEY) as stream:
        stream.seek(2 * 1024 * 1024 - 10)
        assert stream.read(20) == data[2 * 1024 * 1024 - 10 : 2 * 1024 * 1024 + 10]
        stream.seek(0)
        assert hashlib.sha256(stream.read()).digest() == hashlib.sha256(data).digest()


def test_random_seeks_and_reads_match_the_plaintext(tmp_path: Path) -> None:
    data = os.urandom(10 * CHUNK + 17)
    path = tmp_path / "f.sre"
    _write(path, data)
    rng = random.Random(4)
    with open_encrypted(path, KEY) as stream:
        for _ in range(500):
            whence = rng.choice([io.SEEK_SET, io.SEEK_CUR, io.SEEK_END])
            offset = {
                io.SEEK_SET: rng.randrange(0, len(data) + 10),
                io.SEEK_CUR: rng.randrange(-stream.tell(), 40),
                io.SEEK_END: rng.randrange(-len(data), 5),
            }[whence]
            position = stream.seek(offset, whence)
            assert position == stream.tell()
            count = rng.randrange(0, 3 * CHUNK)
            assert stream.read(count) == data[position : position + count]


def test_readinto_and_tell_on_the_raw_reader(tmp_path: Path) -> None:
    data = os.urandom(3 * CHUNK)
    path = tmp_path / "f.sre"
    _write(path, data)
    with EncryptedReader(path, KEY) as raw:
        assert raw.seekable() and raw.readable() and not raw.writable()
        buffer = bytearray(CHUNK + 10)
        raw.seek(CHUNK - 5)
        assert raw.readinto(buffer) == CHUNK + 10
        assert bytes(buffer) == data[CHUNK - 5 : 2 * CHUNK + 5]
        assert raw.tell() == 2 * CHUNK + 5
        raw.seek(0, io.SEEK_END)
        assert raw.readinto(buffer) == 0
        with pytest.raises(ValueError):
            raw.seek(-1)
    with pytest.raises(ValueError):
        raw.read(1)


def test_stored_bytes_are_not_the_plaintext(tmp_path: Path) -> None:
    marker = b"PATIENT-NAME-MARKER-" * 20
    path = tmp_path / "f.sre"
    _write(path, marker * 10)
    stored = raw(path)
    assert b"PATIENT-NAME-MARKER" not in stored
    # Two writes of the same plaintext differ: a fresh salt and key per file.
    _write(tmp_path / "g.sre", marker * 10)
    assert raw(tmp_path / "g.sre")[HEADER.size :] != stored[HEADER.size :]


def test_a_flipped_bit_anywhere_is_detected(tmp_path: Path) -> None:
    data = os.urandom(3 * CHUNK + 9)
    path = tmp_path / "f.sre"
    _write(path, data)
    original = raw(path)
    for position in range(0, len(original), 5):
        tampered = bytearray(original)
        tampered[position] ^= 0x01
        put_raw(path, tampered)
        with pytest.raises(CorruptStoredFile), open_encrypted(path, KEY) as stream:
            stream.read()


def _sealed_chunks(path: Path) -> tuple[bytes, list[bytes]]:
    stored = raw(path)
    header, body = stored[: HEADER.size], stored[HEADER.size :]
    size = CHUNK + TAG_SIZE
    return header, [body[i : i + size] for i in range(0, len(body), size)]


def test_truncation_at_a_chunk_boundary_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "f.sre"
    _write(path, os.urandom(3 * CHUNK))
    header, chunks = _sealed_chunks(path)
    put_raw(path, header + b"".join(chunks[:2]))  # the final chunk dropped
    with pytest.raises(CorruptStoredFile):
        open_encrypted(path, KEY)


@pytest.mark.parametrize("cut", [1, TAG_SIZE, CHUNK])
def test_truncation_inside_a_chunk_is_detected(tmp_path: Path, cut: int) -> None:
    path = tmp_path / "f.sre"
    _write(path, os.urandom(3 * CHUNK))
    stored = raw(path)
    put_raw(path, stored[:-cut])
    with pytest.raises(CorruptStoredFile):
        open_encrypted(path, KEY)


def test_reordered_or_duplicated_chunks_are_detected(tmp_path: Path) -> None:
    path = tmp_path / "f.sre"
    _write(path, os.urandom(3 * CHUNK))
    header, chunks = _sealed_chunks(path)
    for body in (
        [chunks[1], chunks[0], chunks[2]],
        [chunks[0], chunks[0], chunks[2]],
        [chunks[0], chunks[1], chunks[1], chunks[2]],
    ):
        put_raw(path, header + b"".join(body))
        with pytest.raises(CorruptStoredFile), open_encrypted(path, KEY) as stream:
            stream.read()


def test_chunks_from_another_file_are_detected(tmp_path: Path) -> None:
    data = os.urandom(2 * CHUNK)
    first, second = tmp_path / "a.sre", tmp_path / "b.sre"
    _write(first, data)
    _write(second, data)
    header, _ = _sealed_chunks(first)
    _, chunks = _sealed_chunks(second)
    put_raw(first, header + b"".join(chunks))
    with pytest.raises(CorruptStoredFile):
        open_encrypted(first, KEY)


def test_wrong_key_and_foreign_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "f.sre"
    _write(path, b"hello")
    with pytest.raises(CorruptStoredFile):
        open_encrypted(path, bytes(32))
    plain = tmp_path / "plain.dcm"
    put_raw(plain, b"\0" * 128 + b"DICM" + b"\0" * 100)
    with pytest.raises(CorruptStoredFile):
        open_encrypted(plain, KEY)
    put_raw(tmp_path / "empty", b"")
    with pytest.raises(CorruptStoredFile):
        open_encrypted(tmp_path / "empty", KEY)


def test_an_unclosed_writer_leaves_an_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "f.sre"
    writer = EncryptedWriter(path, KEY, chunk_size=CHUNK)
    writer.write(os.urandom(5 * CHUNK))
    writer.abort()  # an interrupted upload
    with pytest.raises(CorruptStoredFile):
        open_encrypted(path, KEY)


def test_the_writer_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "f.sre"
    put_raw(path, b"x")
    with pytest.raises(FileExistsError):
        EncryptedWriter(path, KEY)


def test_the_error_message_names_no_file(tmp_path: Path) -> None:
    path = tmp_path / "Jane Doe knee.sre"
    _write(path, b"secret")
    with pytest.raises(CorruptStoredFile) as caught:
        open_encrypted(path, bytes(32))
    assert "Jane" not in str(caught.value)
