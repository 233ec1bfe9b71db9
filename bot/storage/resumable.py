"""Appending to one encrypted stored file across requests (resumable uploads).

The file has the layout of `bot.storage.encrypted`; what a request leaves behind must survive a
dropped connection, a restart, or the next request landing in another process:

- full chunks are sealed into the file as they fill (each is pinned to its index, so a chunk
  written by one request and the next by another still authenticate as one file);
- at the end of each request the unfilled tail (at most one chunk; none when the request ended
  on a chunk boundary and the file's length is known) is saved beside the file
  as a small encrypted file of its own (`<name>.tail`, own salt), replaced atomically, after
  the chunks are synced; it records how many chunks it follows, so a tail left stale by a crash
  is recognised (its bytes are in the chunks by then). The stored offset is every byte
  acknowledged;
- the final chunk is sealed only by `finish()`, so an unfinished file never reads back whole.

SHA-256 of the plaintext: hashlib state cannot be saved, so the caller may keep the running
hash between requests (`hasher`/`resume(..., hasher=)`); without it, `finish()` hashes the
sealed chunks by decrypting them once.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.storage.encrypted import (
    CHUNK_SIZE,
    HEADER,
    MAGIC,
    MAX_CHUNK_SIZE,
    TAG_SIZE,
    CorruptStoredFile,
    EncryptedReader,
    WrittenFile,
    _file_key,
    _nonce,
    write_encrypted,
)
from bot.storage.files import file_store

SALT_SIZE = 16
PREFIX_SIZE = 8
_LAST, _NOT_LAST = b"\x01", b"\x00"
TAIL_SUFFIX = ".tail"
_COUNT = struct.Struct(">Q")


def tail_path(path: Path) -> Path:
    return path.with_name(path.name + TAIL_SUFFIX)


@dataclass
class _Header:
    raw: bytes
    chunk_size: int
    prefix: bytes
    aead: Any


class ResumableWriter:
    """One request's appends to a stored file: `create` or `resume`, `write`, then `suspend`
    (more to come) or `finish` (seal). Not thread-safe; one request at a time per file."""

    def __init__(
        self,
        path: Path,
        master_key: bytes,
        header: _Header,
        file: Any,
        sealed_chunks: int,
        tail: bytes,
        hasher: Any | None,
        length: int | None,
    ) -> None:
        self.path = path
        self._master_key = master_key  # for the tail file
        self._header = header
        self._file = file
        self._index = sealed_chunks
        self._buffer = bytearray(tail)
        self._size = sealed_chunks * header.chunk_size + len(tail)
        self.hasher = hasher  # None: unknown (another process wrote the start)
        self._length = length  # the whole file's, when known: full chunks are sealed at once
        self._done = False

    # --- opening -----------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: Path,
        master_key: bytes,
        chunk_size: int = CHUNK_SIZE,
        *,
        length: int | None = None,
    ) -> ResumableWriter:
        """A new, empty file (its header only); "x": never overwrite. With the file's `length`,
        every full chunk but the last is sealed at once (nothing left over for the tail)."""
        if not 0 < chunk_size <= MAX_CHUNK_SIZE:
            raise ValueError("chunk size out of range")
        salt, prefix = os.urandom(SALT_SIZE), os.urandom(PREFIX_SIZE)
        raw = HEADER.pack(MAGIC, chunk_size, salt, prefix)
        header = _Header(raw, chunk_size, prefix, _file_key(master_key, salt))
        file = file_store().create(path)  # closed by suspend/finish/abort
        file.write(raw)
        return cls(path, master_key, header, file, 0, b"", hashlib.sha256(), length)

    @classmethod
    def resume(
        cls,
        path: Path,
        master_key: bytes,
        *,
        hasher: Any | None = None,
        expected_size: int = -1,
        length: int | None = None,
    ) -> ResumableWriter:
        """Reopen an unfinished file where its last request left it. `hasher` is used only when
        `expected_size` equals the size found (it is the hash of exactly those bytes)."""
        file = file_store().open_update(path)  # closed by suspend/finish/abort
        try:
            raw = file.read(HEADER.size)
            if len(raw) != HEADER.size:
                raise CorruptStoredFile("stored file is not an encrypted upload")
            magic, chunk_size, salt, prefix = HEADER.unpack(raw)
            if magic != MAGIC or not 0 < chunk_size <= MAX_CHUNK_SIZE:
                raise CorruptStoredFile("stored file is not an encrypted upload")
            header = _Header(raw, chunk_size, prefix, _file_key(master_key, salt))
            sealed = chunk_size + TAG_SIZE
            stored = file.seek(0, io.SEEK_END) - HEADER.size
            chunks = stored // sealed
            # A chunk cut short by a crash mid-write was never acknowledged: drop it. (Only then:
            # a truncate on every request costs the file system a flush on some.)
            if stored != chunks * sealed:
                file.truncate(HEADER.size + chunks * sealed)
            file.seek(HEADER.size + chunks * sealed)
            tail = _read_tail(path, master_key, chunks)
            size = chunks * chunk_size + len(tail)
            kept = hasher if hasher is not None and size == expected_size else None
            return cls(path, master_key, header, file, chunks, tail, kept, length)
        except BaseException:
            file.close()
            raise

    # --- writing -----------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """Plaintext bytes written so far (the upload's offset)."""
        return self._size

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._done:
            raise ValueError("write to a closed ResumableWriter")
        if self.hasher is not None:
            self.hasher.update(data)
        self._size += len(data)
        self._buffer += data
        chunk = self._header.chunk_size
        # The last chunk stays buffered until finish() flags it: with the length known, that is
        # the one ending at the length; without it, whatever full chunk nothing follows yet.
        while len(self._buffer) > chunk or (
            len(self._buffer) == chunk
            and self._length is not None
            and (self._index + 1) * chunk < self._length
        ):
            with memoryview(self._buffer) as view:
                self._seal(view[:chunk], last=False)
            del self._buffer[:chunk]

    def suspend(self) -> int:
        """Hand every byte written to the OS (sealed chunks + the tail file); returns the offset."""
        if not self._done:
            # Flushed to the OS, not fsynced (like every stored upload): a crashed process loses
            # nothing; after a power cut a lost chunk reads as a shorter file (the stale tail is
            # refused by its count) or fails authentication when read, never as good data.
            self._file.flush()
            tail = tail_path(self.path)
            if self._buffer:
                temporary = tail.with_name(tail.name + ".new")
                file_store().unlink(temporary)
                count = _COUNT.pack(self._index)  # which chunks this tail follows
                write_encrypted(temporary, self._master_key, [count, bytes(self._buffer)])
                file_store().replace(temporary, tail)
            else:
                file_store().unlink(tail)  # pieces ending on a chunk boundary leave none
            self._file.close()
            self._done = True
        return self._size

    def finish(self) -> WrittenFile:
        """Seal the last chunk; returns the plaintext size and SHA-256."""
        if self._done:
            raise ValueError("finish on a closed ResumableWriter")
        digest = self.hasher.hexdigest() if self.hasher is not None else self._rehash()
        self._seal(memoryview(self._buffer), last=True)
        self._file.flush()
        self._file.close()
        self._done = True
        file_store().unlink(tail_path(self.path))
        return WrittenFile(self._size, digest)

    def abort(self) -> None:
        """Close without saving the tail (bytes since the last suspend are not acknowledged)."""
        if not self._done:
            self._file.close()
            self._done = True

    # --- internals ---------------------------------------------------------------------------

    def _seal(self, plaintext: memoryview, *, last: bool) -> None:
        aad = self._header.raw + (_LAST if last else _NOT_LAST)
        nonce = _nonce(self._header.prefix, self._index)
        self._file.write(self._header.aead.encrypt(nonce, plaintext, aad))
        self._index += 1

    def _rehash(self) -> str:
        """SHA-256 of the plaintext from the sealed chunks and the buffer (one decrypting read)."""
        digest = hashlib.sha256()
        sealed = self._header.chunk_size + TAG_SIZE
        self._file.flush()
        with file_store().open_read(self.path) as reader:
            for index in range(self._index):
                reader.seek(HEADER.size + index * sealed)
                aad = self._header.raw + _NOT_LAST
                try:
                    plain = self._header.aead.decrypt(
                        _nonce(self._header.prefix, index), reader.read(sealed), aad
                    )
                except Exception:
                    raise CorruptStoredFile("stored file failed authentication") from None
                digest.update(plain)
        digest.update(self._buffer)
        return digest.hexdigest()


def _read_tail(path: Path, master_key: bytes, sealed_chunks: int) -> bytes:
    """The saved tail, if it follows exactly `sealed_chunks` chunks. A tail saved before more
    chunks were sealed (a crash between sealing and saving the new tail) is inside them now."""
    tail = tail_path(path)
    try:
        reader = EncryptedReader(tail, master_key)
    except FileNotFoundError:
        return b""
    with reader:
        content = reader.read(reader.size) or b""
    follows: int = _COUNT.unpack_from(content)[0] if len(content) >= _COUNT.size else -1
    if follows != sealed_chunks:
        return b""
    return content[_COUNT.size :]



def stored_offset(path: Path, master_key: bytes) -> int:
    """How many plaintext bytes an unfinished file holds (0 when it was never written)."""
    try:
        stored = file_store().size(path)
    except FileNotFoundError:
        return 0
    with file_store().open_read(path) as file:
        raw = file.read(HEADER.size)
    if len(raw) != HEADER.size:
        return 0  # created, its header not yet on disk: nothing acknowledged yet
    magic, chunk_size, _salt, _prefix = HEADER.unpack(raw)
    if magic != MAGIC or not 0 < chunk_size <= MAX_CHUNK_SIZE:
        raise CorruptStoredFile("stored file is not an encrypted upload")
    size: int = chunk_size
    chunks = (stored - HEADER.size) // (size + TAG_SIZE)
    return chunks * size + len(_read_tail(path, master_key, chunks))
