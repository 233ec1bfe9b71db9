"""Hashing, encrypting and writing incoming files on a thread of the upload's own.

SHA-256, AES-GCM and file I/O all release the GIL, so while this thread works the event loop
parses what comes next: ingest uses two cores instead of one. A file's end is queued, not
waited for, so a CD's thousands of small files are created while the next ones arrive. Memory
stays bounded: a writer holds at most `max_in_flight` bytes for the thread before it waits.
"""

from __future__ import annotations

import asyncio
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from bot.storage.encrypted import EncryptedWriter, WrittenFile

BATCH_BYTES = 1024 * 1024  # hand data over in batches: one thread hop per MiB, not per piece
MAX_IN_FLIGHT = 4 * 1024 * 1024
T = TypeVar("T")


async def result_of(future: Future[T]) -> T:
    """The future's result, without a trip through the event loop when it is already done
    (each such trip wakes the loop from another thread: costly with thousands of files)."""
    if future.done():
        return future.result()
    return await asyncio.wrap_future(future)


class BackgroundWriter:
    """An EncryptedWriter fed from the event loop. The data (views into immutable request
    chunks) is kept alive until the thread has written it. The executor must have exactly one
    thread: that is what keeps batches, and files, in order."""

    def __init__(
        self,
        executor: ThreadPoolExecutor,
        path: Path,
        key: bytes,
        max_in_flight: int = MAX_IN_FLIGHT,
    ) -> None:
        self.path = path
        self._executor = executor
        self._key = key
        self._max_in_flight = max_in_flight
        self._batch: list[memoryview] = []
        self._batch_bytes = 0
        self._pending: deque[tuple[Future[None], int]] = deque()
        self._pending_bytes = 0
        # Thread side.
        self._writer: EncryptedWriter | None = None
        self._error: BaseException | None = None

    async def write(self, data: memoryview) -> None:
        self._batch.append(data)
        self._batch_bytes += len(data)
        if self._batch_bytes >= BATCH_BYTES:
            batch, size = self._batch, self._batch_bytes
            self._batch, self._batch_bytes = [], 0
            await self._drain(self._max_in_flight - size)
            self._pending.append((self._executor.submit(self._write_batch, batch), size))
            self._pending_bytes += size

    def finish(self) -> tuple[Future[WrittenFile], int]:
        """Queue the rest of the file and its seal without waiting; returns the future result
        and how many bytes it still holds in memory until it is done."""
        batch, held = self._batch, self._pending_bytes + self._batch_bytes
        self._batch, self._batch_bytes = [], 0
        self._pending.clear()  # the seal comes after them: its future covers them
        self._pending_bytes = 0
        return self._executor.submit(self._finish, batch), held

    async def close(self) -> WrittenFile:
        future, _held = self.finish()
        return await result_of(future)

    async def abort(self) -> None:
        """Give up: queued batches are dropped and the file is closed unsealed. Returns once the
        thread is done with the file, so the caller may remove it."""
        for future, _size in self._pending:
            future.cancel()
        self._pending.clear()
        self._batch = []
        await asyncio.shield(asyncio.wrap_future(self._executor.submit(self._abort)))

    async def _drain(self, allowed: int) -> None:
        """Wait until at most `allowed` bytes are still queued; re-raises a write error."""
        while self._pending and self._pending_bytes > max(allowed, 0):
            future, size = self._pending.popleft()
            self._pending_bytes -= size
            await result_of(future)

    # --- on the writer thread ----------------------------------------------------------------

    def _write_batch(self, batch: list[memoryview]) -> None:
        if self._error is not None:
            raise self._error
        try:
            if self._writer is None:
                self._writer = EncryptedWriter(self.path, self._key)
            for piece in batch:
                self._writer.write(piece)
        except BaseException as error:
            self._error = error
            raise

    def _finish(self, batch: list[memoryview]) -> WrittenFile:
        self._write_batch(batch)
        assert self._writer is not None
        return self._writer.close()

    def _abort(self) -> None:
        if self._writer is not None:
            self._writer.abort()
