"""The web app's background inspection worker.

Uploads are checked one at a time, in a thread (inspection is synchronous and CPU-bound), and
the verdict goes into the uploads table, so a Rasa action only ever reads a row. On start the
worker re-queues what a previous run left `pending` or `checking`, so a restart loses nothing.
An inspector that crashes marks the upload `failed` with a kind message; the files stay.
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
    ) -> None:
        self._service = service
        self._key = storage_key
        self._inspect = inspect or default_inspect
        self._on_checked = on_checked
        self._retry_after = retry_after
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._sweep_every = sweep_every
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start checking; re-queue unfinished checks and sweep abandoned receptions."""
        self._queue = asyncio.Queue()
        self._task = asyncio.create_task(self._run(), name="upload-inspection")
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="upload-sweep")
        try:
            swept = await asyncio.to_thread(self._service.sweep_receiving, STALE_RECEIVING)
            unchecked = await asyncio.to_thread(self._service.unchecked)
        except StorageUnavailable:
            logger.warning("upload worker: database unavailable at start; nothing re-queued")
            return
        for public_id in unchecked:
            self.submit(public_id)
        logger.info("upload worker started: %d re-queued, %d swept", len(unchecked), swept)

    async def stop(self) -> None:
        """Stop; an upload being checked stays `checking` and is re-queued on the next start."""
        for task in (self._task, self._sweeper):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._task = self._sweeper = None

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

    def submit(self, public_id: str) -> None:
        self._queue.put_nowait(public_id)

    async def idle(self) -> None:
        """Wait until everything queued so far has been checked (for tests and benchmarks)."""
        await self._queue.join()

    async def _run(self) -> None:
        while True:
            public_id = await self._queue.get()
            try:
                await self.check(public_id)
            except StorageUnavailable:
                asyncio.get_running_loop().call_later(self._retry_after, self.submit, public_id)
            except Exception as error:  # one upload must never stop the worker
                logger.error("upload %s: worker error %s", public_id, type(error).__name__)
            finally:
                self._queue.task_done()

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
