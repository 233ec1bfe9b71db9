"""The web app's background inspection worker.

Uploads are checked one at a time per web app, in a thread (inspection is synchronous and
CPU-bound), and the verdict goes into the uploads table, so a Rasa action only ever reads a row.
Jobs wait in a queue (bot/uploads/job_queue.py): the web app's own, or on PostgreSQL the one
every web app shares. On start the worker queues again what a previous run left `pending` or
`checking`, so a restart loses nothing. The verdict is written once: only by the check that
finds the row still `checking` (bot.uploads.service.finish_check). An inspector that crashes
marks the upload `failed` with a kind message; the files stay.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, Protocol

from bot.cases.records import StorageUnavailable
from bot.imaging.sources import SourceFile
from bot.storage.encrypted import open_encrypted
from bot.uploads.job_queue import InspectionQueue, LocalQueue
from bot.uploads.records import CheckJob, UploadRecord
from bot.uploads.service import UploadService

logger = logging.getLogger(__name__)

# Also in bot/guidance/uploads.py's wording; here it is what the row records.
FAILED_MESSAGE = (
    "I couldn't finish checking these files. They're stored safely and our team will look at "
    "them; you don't need to send them again."
)
RETRY_AFTER_STORAGE_ERROR = 30.0
STALE_RECEIVING = timedelta(hours=24)
SWEEP_EVERY_SECONDS = 3600.0


class VerdictLike(Protocol):
    @property
    def ok(self) -> bool: ...

    @property
    def message(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


Inspect = Callable[[Sequence[SourceFile]], VerdictLike]
OnChecked = Callable[[UploadRecord], Awaitable[None]]


def default_inspect(files: Sequence[SourceFile]) -> VerdictLike:
    from bot.imaging import inspect_files  # heavy (pydicom, pypdf): load on first use

    return inspect_files(files)


def source_files(job: CheckJob, storage_key: bytes) -> list[SourceFile]:
    """The upload's files as the inspector sees them: names as sent, decrypted on read."""
    return [
        SourceFile(
            path=file.relative_path,
            size=file.size_bytes,
            open=functools.partial(open_encrypted, job.directory / file.stored_name, storage_key),
        )
        for file in job.files
    ]


class InspectionWorker:
    def __init__(
        self,
        service: UploadService,
        storage_key: bytes,
        inspect: Inspect | None = None,
        on_checked: OnChecked | None = None,
        retry_after: float = RETRY_AFTER_STORAGE_ERROR,
        sweep_every: float = SWEEP_EVERY_SECONDS,
        queue: InspectionQueue | None = None,
    ) -> None:
        self._service = service
        self._key = storage_key
        self._inspect = inspect or default_inspect
        self._on_checked = on_checked
        self._queue = queue or LocalQueue(retry_after)
        self._sweep_every = sweep_every
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start checking; re-queue unfinished checks and sweep abandoned receptions."""
        try:
            await self._queue.start(self.check, self.give_up)
        except StorageUnavailable:
            logger.warning("upload worker: the job queue is unavailable at start")
            raise
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="upload-sweep")
        try:
            swept = await asyncio.to_thread(self._service.sweep_receiving, STALE_RECEIVING)
            unchecked = await asyncio.to_thread(self._service.unchecked)
            for public_id in unchecked:
                await self._queue.submit(public_id)
        except StorageUnavailable:
            logger.warning("upload worker: database unavailable at start; nothing re-queued")
            return
        logger.info("upload worker started: %d re-queued, %d swept", len(unchecked), swept)

    async def stop(self) -> None:
        """Stop; an upload being checked stays `checking` and is re-queued on the next start
        (on the shared queue, its job is retried by another web app meanwhile)."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        self._sweeper = None
        await self._queue.stop()

    async def _sweep_forever(self) -> None:
        """Resumable uploads wait a day for their next byte: their expiry must not depend on a
        restart. Every web app sweeps; sweeping twice removes nothing twice."""
        while True:
            await asyncio.sleep(self._sweep_every)
            try:
                swept = await asyncio.to_thread(self._service.sweep_receiving, STALE_RECEIVING)
            except StorageUnavailable:
                continue
            if swept:
                logger.info("upload worker: %d abandoned uploads swept", swept)

    async def submit(self, public_id: str) -> None:
        """Queue a stored upload's check. If the shared queue cannot take it, the upload stays
        `pending` and the next start of any web app queues it."""
        try:
            await self._queue.submit(public_id)
        except StorageUnavailable:
            logger.warning("upload %s: not queued (database unavailable)", public_id)

    async def idle(self) -> None:
        """Wait until everything queued so far has been checked (for tests and benchmarks)."""
        await self._queue.idle()

    async def give_up(self, public_id: str) -> UploadRecord | None:
        """Mark the upload `failed` (files kept, staff look at it): its check keeps dying."""
        if await asyncio.to_thread(self._service.start_check, public_id) is None:
            return None
        return await self._finish(
            public_id, True, {"ok": False, "message": FAILED_MESSAGE, "error": "worker_lost"}
        )

    async def check(self, public_id: str) -> UploadRecord | None:
        """Check one upload now; None if it was not waiting for a check."""
        job = await asyncio.to_thread(self._service.start_check, public_id)
        if job is None:
            return None
        failed, verdict = False, None
        try:
            result = await asyncio.to_thread(self._inspect, source_files(job, self._key))
            verdict = dict(result.to_dict())
            verdict.setdefault("ok", bool(result.ok))
            verdict.setdefault("message", str(result.message))
        except Exception as error:
            # The type only: an inspector's message may quote file names or contents.
            logger.error("upload %s: inspection failed: %s", public_id, type(error).__name__)
            failed = True
            verdict = {"ok": False, "message": FAILED_MESSAGE, "error": "inspection_failed"}
        return await self._finish(public_id, failed, verdict)

    async def _finish(
        self, public_id: str, failed: bool, verdict: dict[str, Any]
    ) -> UploadRecord | None:
        kind = verdict.get("kind")
        record = await asyncio.to_thread(
            functools.partial(
                self._service.finish_check,
                public_id,
                failed=failed,
                verdict=verdict,
                kind=kind if isinstance(kind, str) and len(kind) <= 32 else None,
            )
        )
        if record is None:
            return None
        logger.info("upload %s %s", public_id, record.status)
        if self._on_checked is not None:
            try:
                await self._on_checked(record)
            except Exception as error:
                logger.error("upload %s: on_checked failed: %s", public_id, type(error).__name__)
        return record
