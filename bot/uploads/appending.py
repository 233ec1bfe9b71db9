"""One PATCH of a resumable file: check the offset, stream the body into the encrypted file off
the event loop, and leave every received byte durable (or seal the file when it is complete).

One PATCH at a time per file: a second one while the first still runs (a client retrying
before the server noticed the dropped connection) is refused as Busy, and retried by tus
clients. The running SHA-256 of each unfinished file is kept in memory between PATCHes (a
bounded cache); a file resumed without it is hashed once when it is sealed.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from collections.abc import AsyncIterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from bot.storage.encrypted import WrittenFile
from bot.storage.files import file_store
from bot.storage.resumable import ResumableWriter, stored_offset
from bot.uploads.resumable import ResumableState

BATCH_BYTES = 1024 * 1024  # hand body data to the writer thread one MiB at a time
MAX_IN_FLIGHT = 4 * 1024 * 1024  # bytes received but not yet written, at most
MAX_KEPT_HASHES = 512


class Busy(Exception):
    """Another PATCH of this file is still running."""


class OffsetMismatch(Exception):
    def __init__(self, offset: int) -> None:
        super().__init__(f"offset is {offset}")
        self.offset = offset


class TooLong(Exception):
    """The body would take the file past its declared length."""

    def __init__(self, offset: int) -> None:
        super().__init__(f"offset is {offset}")
        self.offset = offset


@dataclass(frozen=True)
class Appended:
    offset: int
    written: WrittenFile | None  # set when this PATCH completed the file
    interrupted: bool = False  # the client went away; what arrived is kept


class FileAppends:
    def __init__(self, storage_key: bytes) -> None:
        self._key = storage_key
        self._busy: set[str] = set()
        self._hashes: OrderedDict[str, tuple[int, Any]] = OrderedDict()

    async def offset(self, state: ResumableState) -> int:
        if state.finished:
            return state.length
        return await asyncio.to_thread(stored_offset, state.path, self._key)

    async def append(
        self,
        state: ResumableState,
        offset: int,
        body: AsyncIterator[bytes],
        content_length: int | None,
        disconnected: type[BaseException],
    ) -> Appended:
        """Append the body at `offset`. Raises Busy, OffsetMismatch, TooLong; a body that ends
        early because the client left (`disconnected` raised) keeps what arrived."""
        if state.public_id in self._busy:
            raise Busy()
        self._busy.add(state.public_id)
        try:
            return await self._append(state, offset, body, content_length, disconnected)
        finally:
            self._busy.discard(state.public_id)

    async def _append(
        self,
        state: ResumableState,
        offset: int,
        body: AsyncIterator[bytes],
        content_length: int | None,
        disconnected: type[BaseException],
    ) -> Appended:
        if state.finished:
            raise OffsetMismatch(state.length)
        writer = await asyncio.to_thread(self._open, state)
        try:
            if writer.size != offset:
                raise OffsetMismatch(writer.size)
            if content_length is not None and offset + content_length > state.length:
                raise TooLong(writer.size)
            interrupted, closed = await self._stream(state, writer, body, disconnected)
        except BaseException:
            await asyncio.shield(asyncio.to_thread(writer.abort))
            raise
        if isinstance(closed, WrittenFile):
            self._hashes.pop(state.public_id, None)
            return Appended(writer.size, closed)
        self._keep_hash(state.public_id, closed, writer.hasher)
        return Appended(closed, None, interrupted)

    async def _stream(
        self,
        state: ResumableState,
        writer: ResumableWriter,
        body: AsyncIterator[bytes],
        disconnected: type[BaseException],
    ) -> tuple[bool, WrittenFile | int]:
        """Feed the body to the writer on a thread of its own while the next bytes arrive (as
        multipart uploads do): at most MAX_IN_FLIGHT bytes wait for it. The same thread then
        seals the file (complete) or saves its tail (more to come) right after the last write,
        without a hop back through the event loop: a PATCH is a round trip the client waits for.
        Returns whether the client left, and the finished file or the new offset."""
        executor = ThreadPoolExecutor(1, thread_name_prefix="tus-writer")
        pending: deque[tuple[Future[None], int]] = deque()
        in_flight = 0
        batch: list[bytes] = []
        batch_bytes = 0
        received = writer.size
        interrupted = False
        try:
            try:
                async for chunk in body:
                    received += len(chunk)
                    if received > state.length:
                        raise TooLong(writer.size)
                    batch.append(chunk)
                    batch_bytes += len(chunk)
                    if batch_bytes >= BATCH_BYTES:
                        while pending and in_flight + batch_bytes > MAX_IN_FLIGHT:
                            done, size = pending.popleft()
                            in_flight -= size
                            await asyncio.wrap_future(done)
                        pending.append((executor.submit(_write_all, writer, batch), batch_bytes))
                        in_flight += batch_bytes
                        batch, batch_bytes = [], 0
            except disconnected:
                interrupted = True
            if batch:
                pending.append((executor.submit(_write_all, writer, batch), batch_bytes))
            writes = [done for done, _size in pending]
            # Shielded: once the writes are in, the file is left consistent even if this request
            # is cancelled meanwhile (the executor's thread runs it to the end anyway).
            closed = await asyncio.shield(
                asyncio.wrap_future(executor.submit(_close, writer, state.length, writes))
            )
            for done in writes:
                done.result()  # a failed write: raised here (and _close left the file alone)
        except BaseException:
            for done, _size in pending:
                done.cancel()
            # The writer must be idle before the caller aborts it.
            await asyncio.shield(asyncio.wrap_future(executor.submit(lambda: None)))
            raise
        finally:
            executor.shutdown(wait=False)
        if closed is None:  # cannot happen: a failed write raised above
            raise RuntimeError("a write failed without raising")
        return interrupted, closed

    def _open(self, state: ResumableState) -> ResumableWriter:
        if not file_store().exists(state.path):
            file_store().make_dir(state.path.parent, exist_ok=True)
            return ResumableWriter.create(state.path, self._key, length=state.length)
        expected, hasher = self._hashes.pop(state.public_id, (-1, None))
        return ResumableWriter.resume(
            state.path, self._key, hasher=hasher, expected_size=expected, length=state.length
        )

    def _keep_hash(self, public_id: str, size: int, hasher: Any) -> None:
        if hasher is None:
            return
        self._hashes[public_id] = (size, hasher)
        while len(self._hashes) > MAX_KEPT_HASHES:
            self._hashes.popitem(last=False)


def _write_all(writer: ResumableWriter, pieces: list[bytes]) -> None:
    for piece in pieces:
        writer.write(piece)


def _close(
    writer: ResumableWriter, length: int, writes: list[Future[None]]
) -> WrittenFile | int | None:
    """After the writes (same thread, so they are done): seal a complete file, else save the
    tail and return the offset; None, touching nothing, if a write failed."""
    if any(done.cancelled() or done.exception() is not None for done in writes):
        return None
    if writer.size == length:
        return writer.finish()
    return writer.suspend()
