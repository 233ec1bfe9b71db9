"""The inspection queue every web app shares: procrastinate, on the PostgreSQL we already run.

Why procrastinate (README, "Uploads on several web apps"): the jobs sit in the same database as
the uploads, so no second service has to be up for an upload to be queued; workers take jobs
with `SELECT … FOR UPDATE SKIP LOCKED` (one job, one worker), wake on LISTEN/NOTIFY, and beat a
heartbeat into the database, which is how a worker killed mid-job is found.

- A job per upload, with the upload's public id as both its queueing lock (one waiting job per
  upload, however often it is submitted) and its lock (never two checks of one upload at once).
- A worker killed mid-check (SIGKILL, power loss) stops beating its heartbeat; the periodic
  `recover_stalled_inspections` job (deferred once per tick for the whole cluster, run by one
  web app) puts its job back in the queue, up to MAX_ATTEMPTS tries; after that the upload is
  marked `failed` (an upload that kills every worker must not take them all down in turn).
- A web app that shuts down waits a little for its check, then hands the job back.
- procrastinate's tables live in their own PostgreSQL schema (`procrastinate`, migration 0011),
  out of our models' way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import psycopg
from procrastinate import App, PsycopgConnector, RetryStrategy
from procrastinate.exceptions import (
    AlreadyEnqueued,
    JobAborted,
    ProcrastinateException,
    UniqueViolation,
)
from procrastinate.jobs import Job, Status
from sqlalchemy.engine import make_url

from bot.cases.records import StorageUnavailable
from bot.uploads.job_queue import Check, GiveUp

logger = logging.getLogger(__name__)

SCHEMA = "procrastinate"
QUEUE = "upload-inspection"
MAINTENANCE_QUEUE = "upload-inspection-maintenance"
TASK = "inspect_upload"
RECOVERY_TASK = "recover_stalled_inspections"
HEARTBEAT_SECONDS = 10.0
# A worker silent this long is taken for dead: several missed heartbeats, not one slow one.
STALLED_AFTER_SECONDS = 60.0
RECOVER_CRON = "* * * * *"  # every minute
MAX_ATTEMPTS = 3
RETRY_AFTER_STORAGE_ERROR = 30
SHUTDOWN_GRACE_SECONDS = 5.0
POOL_SIZE = 4


def conninfo(database_url: str) -> str:
    """libpq's form of our SQLAlchemy URL (the driver name is SQLAlchemy's, not libpq's)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(False)


class SharedQueue:
    def __init__(
        self,
        database_url: str,
        *,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
        stalled_after_seconds: float = STALLED_AFTER_SECONDS,
        recover_cron: str = RECOVER_CRON,
        max_attempts: int = MAX_ATTEMPTS,
        worker_name: str = "web",
    ) -> None:
        self._heartbeat = heartbeat_seconds
        self._stalled_after = stalled_after_seconds
        self._max_attempts = max_attempts
        self._name = worker_name
        self._check: Check | None = None
        self._give_up: GiveUp | None = None
        self._workers: list[asyncio.Task[None]] = []
        self.app = App(
            connector=PsycopgConnector(
                conninfo=conninfo(database_url),
                kwargs={"options": f"-c search_path={SCHEMA}"},
                min_size=1,
                max_size=POOL_SIZE,
            )
        )
        retry = RetryStrategy(
            max_attempts=max_attempts,
            wait=RETRY_AFTER_STORAGE_ERROR,
            # A shutdown's cancellation hands the job back at once, not after the wait.
            retry_exceptions={StorageUnavailable, JobAborted},
        )

        @self.app.task(name=TASK, queue=QUEUE, retry=retry)
        async def inspect_upload(public_id: str) -> None:
            assert self._check is not None, "started before any job runs"
            await self._check(public_id)

        @self.app.periodic(cron=recover_cron, periodic_id="recover")
        @self.app.task(name=RECOVERY_TASK, queue=MAINTENANCE_QUEUE)
        async def recover_stalled(timestamp: int) -> None:
            await self.recover_stalled()

        self._inspect_upload = inspect_upload

    async def start(self, check: Check, give_up: GiveUp | None = None) -> None:
        self._check, self._give_up = check, give_up
        try:
            await self.app.open_async()
        except (ProcrastinateException, psycopg.Error) as error:
            raise StorageUnavailable("the job queue is unavailable (start)") from error
        # Two workers: a long inspection must not hold up the recovery of a dead one's job.
        for queue in (QUEUE, MAINTENANCE_QUEUE):
            self._workers.append(
                asyncio.create_task(
                    self.app.run_worker_async(
                        queues=[queue],
                        name=f"{self._name}-{queue}",
                        concurrency=1,
                        install_signal_handlers=False,
                        update_heartbeat_interval=self._heartbeat,
                        stalled_worker_timeout=self._stalled_after,
                        shutdown_graceful_timeout=SHUTDOWN_GRACE_SECONDS,
                        delete_jobs="successful",
                    ),
                    name=f"procrastinate-{queue}",
                )
            )

    async def stop(self) -> None:
        for worker in self._workers:
            worker.cancel()
        for worker in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        self._workers = []
        await self.app.close_async()

    async def submit(self, public_id: str) -> None:
        """Queue the upload's check unless a job for it is waiting or running (a running one
        whose worker died is the recovery's: queueing another would reset its count of tries)."""
        job = self._inspect_upload.configure(lock=public_id, queueing_lock=public_id)
        try:
            if await self._has_job(public_id):
                return
            await job.defer_async(public_id=public_id)
        except AlreadyEnqueued:
            pass  # a job for this upload is already waiting: it will check it
        except (ProcrastinateException, psycopg.Error) as error:
            raise StorageUnavailable("the job queue is unavailable (submit)") from error

    async def _has_job(self, public_id: str) -> bool:
        for status in (Status.TODO, Status.DOING):
            jobs = await self.app.job_manager.list_jobs_async(
                queue=QUEUE, lock=public_id, status=status.value
            )
            if list(jobs):
                return True
        return False

    async def idle(self) -> None:
        while await self.waiting_jobs():
            await asyncio.sleep(0.1)

    async def waiting_jobs(self) -> int:
        """Inspection jobs queued or running, on every web app."""
        count = 0
        for status in (Status.TODO, Status.DOING):
            jobs = await self.app.job_manager.list_jobs_async(queue=QUEUE, status=status.value)
            count += len(list(jobs))
        return count

    async def recover_stalled(self) -> list[Job]:
        """Queue again the jobs of workers whose heartbeat stopped; give up on an upload after
        MAX_ATTEMPTS tries. Returns the jobs it found."""
        manager = self.app.job_manager
        stalled = list(
            await manager.get_stalled_jobs(
                queue=QUEUE, task_name=TASK, seconds_since_heartbeat=self._stalled_after
            )
        )
        for job in stalled:
            public_id = str(job.task_kwargs.get("public_id", ""))
            try:
                if job.attempts + 1 < self._max_attempts:
                    await self._retry(job)
                    logger.warning("upload %s: worker lost mid-check; queued again", public_id)
                    continue
                await manager.finish_job(job, status=Status.FAILED, delete_job=False)
            except ProcrastinateException:
                continue  # another web app's recovery got to it first
            logger.error("upload %s: worker lost %d times; giving up", public_id, job.attempts + 1)
            if self._give_up is not None:
                await self._give_up(public_id)
        return stalled

    async def _retry(self, job: Job) -> None:
        try:
            await self.app.job_manager.retry_job(job)
        except UniqueViolation:
            # A web app that started meanwhile queued the upload again; that job waits for
            # this one's lock: end this one so it can run.
            await self.app.job_manager.finish_job(job, status=Status.FAILED, delete_job=False)
