"""Where inspection jobs wait: the interface, and the web app's own in-process queue.

`LocalQueue` (the default, and the only one with SQLite) lives in one web app's memory: right
for one node, wrong for several (each app would only see its own uploads, and a restart relies
on the worker queueing `pending` rows again). With PostgreSQL, `SharedQueue`
(bot/uploads/shared_queue.py) keeps the jobs in the database, shared by every web app.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.cases.records import StorageUnavailable

logger = logging.getLogger(__name__)

# Checks one upload by its public id; raises StorageUnavailable to be tried again later.
Check = Callable[[str], Awaitable[object]]
# Marks an upload `failed` when its check keeps killing workers (only the shared queue sees that).
GiveUp = Callable[[str], Awaitable[object]]


class InspectionQueue(Protocol):
    async def start(self, check: Check, give_up: GiveUp | None = None) -> None: ...

    async def stop(self) -> None: ...

    async def submit(self, public_id: str) -> None: ...

    async def idle(self) -> None:
        """Wait until every job submitted so far has run (tests and benchmarks)."""


class LocalQueue:
    """One asyncio queue, one job at a time, in the web app's process."""

    def __init__(self, retry_after: float) -> None:
        self._retry_after = retry_after
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def start(self, check: Check, give_up: GiveUp | None = None) -> None:
        self._queue = asyncio.Queue()
        self._task = asyncio.create_task(self._run(check), name="upload-inspection")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    async def submit(self, public_id: str) -> None:
        self._queue.put_nowait(public_id)

    async def idle(self) -> None:
        await self._queue.join()

    async def _run(self, check: Check) -> None:
        while True:
            public_id = await self._queue.get()
            try:
                await check(public_id)
            except StorageUnavailable:
                asyncio.get_running_loop().call_later(
                    self._retry_after, self._queue.put_nowait, public_id
                )
            except Exception as error:  # one upload must never stop the worker
                logger.error("upload %s: worker error %s", public_id, type(error).__name__)
            finally:
                self._queue.task_done()
