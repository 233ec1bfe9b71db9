"""The shared inspection queue (procrastinate) on a real PostgreSQL, with workers in separate
processes: two workers racing check every upload once; a worker killed with SIGKILL mid-check
leaves its job to another, which writes the one verdict; a check that keeps killing workers
ends `failed`; the web app uses the shared queue when its database is PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import itertools
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from bot.db import make_engine, migrate, session_factory
from bot.storage.encrypted import write_encrypted
from bot.uploads.records import StoredFile, UploadRecord
from bot.uploads.service import UploadService
from bot.uploads.shared_queue import SharedQueue
from bot.web.uploads_api import UploadsApi
from tests.cases.postgres import PostgresServer, running_postgres
from tests.uploads.conftest import (
    FakeInspector,
    bearer,
    make_app,
    make_settings,
    running_server,
    wait_for,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
_databases = itertools.count()


@pytest.fixture(scope="module")
def postgres() -> Iterator[tuple[PostgresServer, str]]:
    with running_postgres() as server:
        template = server.url("queue_template")
        admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE queue_template"))
        migrate(template)
        yield server, "queue_template"
        admin.dispose()


@dataclass
class Node:
    """What the worker processes share: the database, the uploads directory, the key."""

    database_url: str
    var_dir: Path
    key: bytes
    log: Path
    go: Path
    service: UploadService

    def store(self, label: str) -> UploadRecord:
        new = self.service.begin(f"conv-{label}")
        written = write_encrypted(new.directory / "f000001.sre", self.key, [label.encode() * 100])
        stored = StoredFile(1, f"{label}/IMG1", "f000001.sre", written.size, written.sha256)
        return self.service.complete(new.id, [stored], "folder")

    def start_worker(self, *flags: str) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "SECONDREAD_STORAGE_KEY": base64.b64encode(self.key).decode(),
            "PYTHONPATH": str(PROJECT_ROOT),
        }
        return subprocess.Popen(
            [sys.executable, "-m", "tests.uploads.queue_worker", self.database_url,
             str(self.var_dir), str(self.log), str(self.go), *flags],
            cwd=PROJECT_ROOT, env=env,
        )  # fmt: skip

    def lines(self) -> list[tuple[int, str, str]]:
        if not self.log.exists():
            return []
        parsed = []
        for line in self.log.read_text().splitlines():
            pid, what, *rest = line.split(" ", 2)
            parsed.append((int(pid), what, rest[0] if rest else ""))
        return parsed

    def count(self, what: str) -> int:
        return sum(1 for _pid, seen, _ in self.lines() if seen == what)

    def submit(self, public_ids: list[str]) -> None:
        async def defer() -> None:
            queue = SharedQueue(self.database_url)
            await queue.app.open_async()
            try:
                for public_id in public_ids:
                    await queue.submit(public_id)
            finally:
                await queue.app.close_async()

        asyncio.run(defer())

    def record(self, label: str, public_id: str) -> UploadRecord:
        [record] = self.service.statuses(f"conv-{label}", [public_id])
        return record


@pytest.fixture
def node(postgres: tuple[PostgresServer, str], tmp_path: Path) -> Iterator[Node]:
    server, template = postgres
    name = f"queue_{next(_databases)}"
    admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name} TEMPLATE {template}"))
    admin.dispose()
    url = server.url(name)
    settings = make_settings(tmp_path / "var")
    engine = make_engine(url)
    yield Node(
        url, settings.var_dir, settings.storage_key, tmp_path / "log", tmp_path / "go",
        UploadService(session_factory(engine), settings),
    )  # fmt: skip
    engine.dispose()


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in started:
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_two_workers_racing_check_every_upload_once(
    node: Node, processes: list[subprocess.Popen[bytes]]
) -> None:
    labels = [f"u{n:02d}" for n in range(12)]
    uploads = {label: node.store(label).public_id for label in labels}
    # Each upload submitted twice, as a second web app re-queueing at its start would.
    node.submit(list(uploads.values()) * 2)
    processes += [node.start_worker("--pace", "0.3"), node.start_worker("--pace", "0.3")]
    wait_for(lambda: node.count("ready") == 2, timeout=60)
    node.go.touch()  # both begin together

    wait_for(lambda: node.count("verdict") >= len(labels), timeout=60)
    time.sleep(1.0)  # a second check of any upload would have shown by now
    lines = node.lines()
    inspected = Counter(path.split("/")[0] for _pid, what, path in lines if what == "inspect")
    assert inspected == Counter({label: 1 for label in labels})
    verdicts = Counter(public_id for _pid, what, public_id in node.lines() if what == "verdict")
    assert verdicts == Counter({public_id: 1 for public_id in uploads.values()})
    workers = {pid for pid, what, _ in node.lines() if what == "inspect"}
    assert workers == {process.pid for process in processes}, "both workers took jobs"
    for label, public_id in uploads.items():
        record = node.record(label, public_id)
        assert record.status == "checked" and record.verdict is not None
        assert record.verdict["message"] == "I found 1 files."


def test_a_worker_killed_mid_check_leaves_the_job_to_another(
    node: Node, processes: list[subprocess.Popen[bytes]]
) -> None:
    public_id = node.store("kill").public_id
    node.submit([public_id])
    node.go.touch()
    doomed = node.start_worker("--block")
    processes.append(doomed)
    wait_for(lambda: node.count("inspect") == 1, timeout=60)
    assert node.record("kill", public_id).status == "checking"
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(10)

    survivor = node.start_worker()
    processes.append(survivor)
    wait_for(lambda: node.count("verdict") == 1, timeout=60)
    time.sleep(1.0)
    assert [(pid, what) for pid, what, _ in node.lines() if what in ("inspect", "verdict")] == [
        (doomed.pid, "inspect"),
        (survivor.pid, "inspect"),
        (survivor.pid, "verdict"),
    ]
    record = node.record("kill", public_id)
    assert record.status == "checked" and record.verdict is not None
    assert record.verdict["message"] == "I found 1 files."


def test_a_check_that_keeps_killing_workers_ends_failed(
    node: Node, processes: list[subprocess.Popen[bytes]]
) -> None:
    public_id = node.store("poison").public_id
    node.submit([public_id])
    node.go.touch()
    for attempt in (1, 2):
        doomed = node.start_worker("--block", "--max-attempts", "2")
        processes.append(doomed)
        wait_for(lambda attempt=attempt: node.count("inspect") == attempt, timeout=60)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)

    processes.append(node.start_worker("--max-attempts", "2"))
    wait_for(lambda: node.count("verdict") == 1, timeout=60)
    assert node.count("inspect") == 2  # given up on, not tried a third time
    record = node.record("poison", public_id)
    assert record.status == "failed" and record.verdict is not None
    assert record.verdict["error"] == "worker_lost"


def test_two_web_apps_on_postgresql_share_the_queue(node: Node) -> None:
    """The real web app (UploadsApi under uvicorn) picks the shared queue by itself when its
    database is PostgreSQL; uploads sent to either app are each checked once, by one of them."""
    settings = replace(
        make_settings(node.var_dir), database_url=node.database_url, storage_key=node.key
    )
    assert settings.shared_upload_queue
    inspectors = [FakeInspector(), FakeInspector()]
    apps = [make_app(UploadsApi(settings, node.service, inspect=one)) for one in inspectors]
    with running_server(apps[0]) as first, running_server(apps[1]) as second:
        sent = []
        for n, base in enumerate([first, second] * 3):
            reply = httpx.post(
                f"{base}/api/uploads",
                headers=bearer(f"conv-web{n}"),
                files=[("file", (f"web{n}/IM1", b"DICM" * 50))],
            )
            assert reply.status_code == 201, reply.text
            sent.append((f"web{n}", reply.json()["uploads"][0]["id"]))
        wait_for(lambda: sum(len(one.calls) for one in inspectors) >= len(sent), timeout=30)
        time.sleep(1.0)
    assert sorted(call[0] for one in inspectors for call in one.calls) == sorted(
        f"{label}/IM1" for label, _ in sent
    )
    for label, public_id in sent:
        assert node.record(label, public_id).status == "checked"
