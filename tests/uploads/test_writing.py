"""The background writer: order kept across batches, bounded memory, errors surfaced, abort."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.storage.encrypted import CorruptStoredFile, EncryptedWriter, open_encrypted
from bot.uploads import writing
from bot.uploads.writing import BackgroundWriter

KEY = os.urandom(32)


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    pool = ThreadPoolExecutor(1)
    yield pool
    pool.shutdown()


@pytest.mark.parametrize("size", [0, 10, writing.BATCH_BYTES - 1, 9 * writing.BATCH_BYTES + 7])
async def test_round_trip_in_order(executor: ThreadPoolExecutor, tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    writer = BackgroundWriter(executor, tmp_path / "f.sre", KEY)
    view = memoryview(data)
    for start in range(0, size, 65536):
        await writer.write(view[start : start + 65536])
    written = await writer.close()
    assert (written.size, written.sha256) == (size, hashlib.sha256(data).hexdigest())
    with open_encrypted(tmp_path / "f.sre", KEY) as stream:
        assert stream.read() == data


async def test_memory_in_flight_is_bounded(
    executor: ThreadPoolExecutor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow_write = EncryptedWriter.write

    def slow(self: EncryptedWriter, data: memoryview) -> None:
        time.sleep(0.001)
        slow_write(self, data)

    monkeypatch.setattr(EncryptedWriter, "write", slow)
    writer = BackgroundWriter(executor, tmp_path / "f.sre", KEY, max_in_flight=2 * 2**20)
    piece = memoryview(os.urandom(256 * 1024))
    for _ in range(64):
        await writer.write(piece)
        assert writer._pending_bytes <= 2 * 2**20
    assert (await writer.close()).size == 64 * len(piece)


async def test_a_write_error_surfaces(
    executor: ThreadPoolExecutor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_self: EncryptedWriter, _data: memoryview) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(EncryptedWriter, "write", broken)
    writer = BackgroundWriter(executor, tmp_path / "f.sre", KEY)
    with pytest.raises(OSError, match="No space"):
        for _ in range(20):
            await writer.write(memoryview(bytes(writing.BATCH_BYTES)))
        await writer.close()
    await writer.abort()


async def test_abort_leaves_an_unsealed_file(executor: ThreadPoolExecutor, tmp_path: Path) -> None:
    writer = BackgroundWriter(executor, tmp_path / "f.sre", KEY)
    for _ in range(3):
        await writer.write(memoryview(os.urandom(writing.BATCH_BYTES)))
    await writer.abort()
    await asyncio.sleep(0)
    with pytest.raises(CorruptStoredFile):
        open_encrypted(tmp_path / "f.sre", KEY)
