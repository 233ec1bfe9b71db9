"""One web app's inspection worker on the shared queue, as a separate process the tests can
start side by side with another and kill with SIGKILL (tests/uploads/test_shared_queue.py).

    python -m tests.uploads.queue_worker DATABASE_URL VAR_DIR LOG GO [--block] [--pace S]
        [--max-attempts N]

The real InspectionWorker, SharedQueue (procrastinate) and UploadService on a real PostgreSQL;
only the inspector is the test's: it appends "<pid> inspect <first path>" to LOG, waits `pace`
seconds (or forever with --block, to be killed mid-check), and reads every file. Each verdict
written appends "<pid> verdict <public id>". The worker starts once the file GO exists, so two
processes begin together.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import time
from collections.abc import Sequence
from pathlib import Path

from bot.config import Settings
from bot.db import make_engine, session_factory
from bot.imaging.sources import SourceFile
from bot.uploads.records import UploadRecord
from bot.uploads.service import UploadService
from bot.uploads.shared_queue import SharedQueue
from bot.uploads.worker import InspectionWorker
from tests.uploads.conftest import FakeInspector, FakeVerdict

HEARTBEAT = 0.5
STALLED_AFTER = 2.0
RECOVER_EVERY_SECOND = "* * * * * *"


def _append(log: Path, line: str) -> None:
    with log.open("a") as out:  # one short write per line: lines of two processes never mix
        out.write(f"{os.getpid()} {line}\n")


async def main(arguments: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database_url")
    parser.add_argument("var_dir", type=Path)
    parser.add_argument("log", type=Path)
    parser.add_argument("go", type=Path)
    parser.add_argument("--block", action="store_true")
    parser.add_argument("--pace", type=float, default=0.0)
    parser.add_argument("--max-attempts", type=int, default=3)
    options = parser.parse_args(arguments)
    logging.basicConfig(level=os.environ.get("QUEUE_WORKER_LOG_LEVEL", "WARNING"))

    settings = Settings.from_env(
        {**os.environ, "VAR_DIR": str(options.var_dir), "DATABASE_URL": options.database_url}
    )
    service = UploadService(session_factory(make_engine(options.database_url)), settings)
    reader = FakeInspector()

    def inspect(files: Sequence[SourceFile]) -> FakeVerdict:
        _append(options.log, f"inspect {files[0].path}")
        while options.block:
            time.sleep(1)
        time.sleep(options.pace)
        return reader(files)

    async def on_checked(record: UploadRecord) -> None:
        _append(options.log, f"verdict {record.public_id}")

    queue = SharedQueue(
        options.database_url,
        heartbeat_seconds=HEARTBEAT,
        stalled_after_seconds=STALLED_AFTER,
        recover_cron=RECOVER_EVERY_SECOND,
        max_attempts=options.max_attempts,
        worker_name=f"test-{os.getpid()}",
    )
    worker = InspectionWorker(
        service, settings.storage_key, inspect, on_checked, queue=queue, sweep_every=3600
    )
    _append(options.log, "ready")
    while not options.go.exists():
        await asyncio.sleep(0.05)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await worker.start()
    _append(options.log, "started")
    await stop.wait()
    await worker.stop()


if __name__ == "__main__":
    asyncio.run(main())
