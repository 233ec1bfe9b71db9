"""Hashing, encrypting and writing an incoming file on a thread of its own.

SHA-256, AES-GCM and file writes all release the GIL, so while this thread works on one batch
of data the event loop parses the next: ingest uses two cores instead of one. Memory stays
bounded: at most `max_in_flight` bytes wait for the thread, then the upload waits for it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from bot.storage.encrypted import EncryptedWriter, WrittenFile

BATCH_BYTES = 1024 * 1024  # hand data over in batches: one thread hop per MiB, not per piece
MAX_IN_FLIGHT = 4 * 1024 * 1024


class BackgroundWriter:
    """An EncryptedWriter fed from the event loop. `write` only queues; the data (views into
    immutable request chunks) is kept alive until the thread has written it."""

    def __init__(
        self,
        executor: ThreadPoolExecutor,
        path: Path,
        key: bytes,
        max_in_flight: int = MAX_IN_FLIGHT,
    ) -> None:
        self.path = path
        self._executor = executor  # one thread: batches are written in order
        self._writer: EncryptedWriter | None = None
        self._key = key
        self._batch: list[memoryview] = []
        self._batch_bytes = 0
        self._pending: deque[tuple[Future[None], int]] = deque()
        self._pending_bytes = 0
        self._max_in_flight = max_in_flight

    async def write(self, data: memoryview) -> None:
        self._batch.append(data)
        self._batch_bytes += len(data)
        if self._batch_bytes >= BATCH_BYTES:
            await self._flush()

    async def close(self) -> WrittenFile:
        if not self._pending and self._writer is None:
            # A small file (most of a CD): all of it is still here, less than a batch. Writing
            # it on the loop costs well under a millisecond, less than two thread hops.
            batch, self._batch = self._batch, []
            self._write_batch(batch)
            return self._finish()
        await self._flush()
        await self._drain(0)
        return await asyncio.wrap_future(self._executor.submit(self._finish))

    async def abort(self) -> None:
        """Give up: queued batches are dropped and the file is closed unsealed. Returns once the
        thread is done with the file, so the caller may remove it."""
        for future, _size in self._pending:
            future.cancel()
        self._pending.clear()
        self._batch = []
        # On the writer's own thread, after whatever batch it is writing right now.
        await asyncio.shield(asyncio.wrap_future(self._executor.submit(self._abort)))

    async def _flush(self) -> None:
        if not self._batch:
            return
        batch, size = self._batch, self._batch_bytes
        self._batch, self._batch_bytes = [], 0
        await self._drain(self._max_in_flight - size)
        self._pending.append((self._executor.submit(self._write_batch, batch), size))
        self._pending_bytes += size

    async def _drain(self, allowed: int) -> None:
        """Wait until at most `allowed` bytes are still queued; re-raises a write error."""
        while self._pending and self._pending_bytes > max(allowed, 0):
            future, size = self._pending.popleft()
            self._pending_bytes -= size
            await asyncio.wrap_future(future)

    # --- on the writer thread ----------------------------------------------------------------

    def _open(self) -> None:
        if self._writer is None:
            self._writer = EncryptedWriter(self.path, self._key)

    def _write_batch(self, batch: list[memoryview]) -> None:
        self._open()
        assert self._writer is not None
        for piece in batch:
            self._writer.write(piece)

    def _finish(self) -> WrittenFile:
        self._open()
        assert self._writer is not None
        return self._writer.close()

    def _abort(self) -> None:
        if self._writer is not None:
            self._writer.abort()
