"""Encryption at rest for stored uploads: AES-256-GCM over fixed-size chunks.

Layout of a stored file::

    header (32 bytes): b"SRE\\x01" | chunk size (u32 BE) | salt (16) | nonce prefix (8)
    chunk 0 … n-1:    AES-GCM(plaintext chunk) = ciphertext | 16-byte tag

Each file gets its own key, HKDF-SHA256(master key, salt), so nonces can never repeat across
files under one key. Chunk i is encrypted with nonce = prefix | i (u32 BE), which pins every
chunk to its place, and with associated data = header | last-chunk flag, so a reordered,
truncated or extended file (or an edited header) fails authentication. Every file has at least
one chunk (an empty file is one empty, final chunk).

The writer streams (at most one chunk in memory) and hashes the plaintext as it goes; the reader
is seekable and decrypts only the chunks a read touches. The ciphertext goes wherever the
process's file store puts it (bot.storage.files: this host's disk, or PostgreSQL).
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.storage.files import file_store

MAGIC = b"SRE\x01"
CHUNK_SIZE = 1024 * 1024
TAG_SIZE = 16
SALT_SIZE = 16
PREFIX_SIZE = 8
HEADER = struct.Struct(f">4sI{SALT_SIZE}s{PREFIX_SIZE}s")
MAX_CHUNK_SIZE = 64 * 1024 * 1024
MAX_CHUNKS = 2**32  # the counter is 4 bytes
_KDF_INFO = b"secondread upload v1"
_LAST, _NOT_LAST = b"\x01", b"\x00"
_READ_BUFFER = 64 * 1024
_CACHED_CHUNKS = 2  # the chunk being read and, typically, the one holding the end


class CorruptStoredFile(OSError):
    """A stored file failed authentication: tampered with, truncated or not ours. The message
    names no file and no content, so it is safe to log."""


@dataclass(frozen=True)
class WrittenFile:
    size: int  # plaintext bytes
    sha256: str  # of the plaintext, hex


def _file_key(master_key: bytes, salt: bytes) -> AESGCM:
    if len(master_key) != 32:
        raise ValueError("the storage key must be 32 bytes")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_KDF_INFO)
    return AESGCM(hkdf.derive(master_key))


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + index.to_bytes(4, "big")


class EncryptedWriter:
    """Write one file's plaintext in pieces of any size; `close()` seals the last chunk.

    A file that is never closed has no final chunk and so can never be read back whole:
    an interrupted upload cannot pass for a complete one."""

    def __init__(self, path: Path, master_key: bytes, chunk_size: int = CHUNK_SIZE) -> None:
        if not 0 < chunk_size <= MAX_CHUNK_SIZE:
            raise ValueError("chunk size out of range")
        salt, self._prefix = os.urandom(SALT_SIZE), os.urandom(PREFIX_SIZE)
        self._header = HEADER.pack(MAGIC, chunk_size, salt, self._prefix)
        self._aead = _file_key(master_key, salt)
        self._chunk_size = chunk_size
        self._buffer = bytearray()
        self._sha256 = hashlib.sha256()
        self._size = 0
        self._index = 0
        self._result: WrittenFile | None = None
        # "x": a server-generated name that already exists is a bug, never overwrite.
        self._file = file_store().create(path)  # closed in close()/abort()
        self._file.write(self._header)

    @property
    def size(self) -> int:
        return self._size

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._result is not None:
            raise ValueError("write to a closed EncryptedWriter")
        self._sha256.update(data)
        self._size += len(data)
        self._buffer += data
        # Strictly more than a chunk: the last chunk must stay buffered until close() flags it.
        while len(self._buffer) > self._chunk_size:
            with memoryview(self._buffer) as view:
                self._seal(view[: self._chunk_size], last=False)
            del self._buffer[: self._chunk_size]

    def close(self) -> WrittenFile:
        if self._result is None:
            self._seal(memoryview(self._buffer), last=True)
            self._buffer = bytearray()
            self._file.close()
            self._result = WrittenFile(self._size, self._sha256.hexdigest())
        return self._result

    def abort(self) -> None:
        """Close without sealing; the caller removes the file."""
        self._file.close()

    def _seal(self, plaintext: memoryview, *, last: bool) -> None:
        if self._index >= MAX_CHUNKS:
            raise ValueError("file too large for the chunk counter")
        aad = self._header + (_LAST if last else _NOT_LAST)
        self._file.write(self._aead.encrypt(_nonce(self._prefix, self._index), plaintext, aad))
        self._index += 1


def write_encrypted(
    path: Path, master_key: bytes, pieces: Iterable[bytes], chunk_size: int = CHUNK_SIZE
) -> WrittenFile:
    writer = EncryptedWriter(path, master_key, chunk_size)
    try:
        for piece in pieces:
            writer.write(piece)
    except BaseException:
        writer.abort()
        raise
    return writer.close()


class EncryptedReader(io.RawIOBase):
    """A seekable, read-only raw stream over the plaintext of one stored file.

    Opening authenticates the last chunk, so `size` is trustworthy from the start; every other
    chunk is authenticated when a read first touches it."""

    def __init__(self, path: Path, master_key: bytes) -> None:
        super().__init__()
        self._cache: OrderedDict[int, bytes] = OrderedDict()
        self._file = file_store().open_read(path)  # closed in close()
        try:
            self._open(master_key)
        except BaseException:
            self._file.close()
            raise

    def _open(self, master_key: bytes) -> None:
        header = self._file.read(HEADER.size)
        if len(header) != HEADER.size:
            raise CorruptStoredFile("stored file is not an encrypted upload")
        magic, chunk_size, salt, self._prefix = HEADER.unpack(header)
        if magic != MAGIC or not 0 < chunk_size <= MAX_CHUNK_SIZE:
            raise CorruptStoredFile("stored file is not an encrypted upload")
        self._header = header
        self._chunk_size = chunk_size
        self._aead = _file_key(master_key, salt)
        self._pos = 0

        stored = self._file.seek(0, io.SEEK_END) - HEADER.size
        sealed = chunk_size + TAG_SIZE
        self._chunks = max(1, -(-stored // sealed))
        last_length = stored - (self._chunks - 1) * sealed - TAG_SIZE
        if last_length < 0 or (last_length == 0 and self._chunks > 1):
            raise CorruptStoredFile("stored file is truncated")
        self.size = (self._chunks - 1) * chunk_size + last_length
        self._chunk(self._chunks - 1)

    def _chunk(self, index: int) -> bytes:
        if (cached := self._cache.get(index)) is not None:
            self._cache.move_to_end(index)
            return cached
        sealed = self._chunk_size + TAG_SIZE
        self._file.seek(HEADER.size + index * sealed)
        data = self._file.read(sealed)
        last = index == self._chunks - 1
        aad = self._header + (_LAST if last else _NOT_LAST)
        try:
            plaintext = self._aead.decrypt(_nonce(self._prefix, index), data, aad)
        except InvalidTag:
            raise CorruptStoredFile("stored file failed authentication") from None
        self._cache[index] = plaintext
        if len(self._cache) > _CACHED_CHUNKS:
            self._cache.popitem(last=False)
        return plaintext

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file")

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        self._check_open()
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._check_open()
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}.get(whence)
        if base is None:
            raise ValueError(f"invalid whence ({whence})")
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._pos = base + offset
        return self._pos

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        self._check_open()
        with memoryview(buffer) as view, view.cast("B") as target:
            done = 0
            while done < len(target) and self._pos < self.size:
                index, offset = divmod(self._pos, self._chunk_size)
                chunk = self._chunk(index)
                take = min(len(chunk) - offset, len(target) - done)
                target[done : done + take] = chunk[offset : offset + take]
                done += take
                self._pos += take
            return done

    def close(self) -> None:
        if not self.closed:
            self._file.close()
            self._cache.clear()
        super().close()


def open_encrypted(path: Path, master_key: bytes) -> BinaryIO:
    """A buffered, seekable binary stream of the plaintext, positioned at 0."""
    return io.BufferedReader(EncryptedReader(path, master_key), buffer_size=_READ_BUFFER)
