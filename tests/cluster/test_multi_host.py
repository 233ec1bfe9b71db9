"""The production topology on separate hosts (network namespaces), with servers dying under load.

PostgreSQL, Redis, two Rasa servers, two action servers, two web apps and nginx, each on its own
host (tests/cluster/deployment.py). Conversations start a few seconds apart and each walks a
whole journey: a session from the web app (through nginx's public port), a form over several
turns, consent and a case, an upload to the web app and its verdict in the chat. Messages go
to Rasa's REST channel through nginx with the Telegram bridge's own client
(bot/telegram/rasa_client.py: it retries only what Rasa cannot have handled: no connection,
502/503/504). While they run, one Rasa server, then one action server, then one web app are
killed (SIGKILL, as a crash) at set points of the load, each while it is answering a request if
it gets one within 5 s (a killed Rasa server's lock ticket then holds its conversation until it
expires: TICKET_LOCK_LIFETIME, 20 s here).

Checked: every journey finishes with the expected answers; in PostgreSQL each conversation's
user messages are exactly those sent, once each, in order, no event is stored twice, no turn is
left incomplete, events are in time order; one case per conversation; every upload the client
was told about has its verdict, its inspection job gone from the shared queue (succeeded),
given in the chat once (the stored files are on storage every web app mounts); nginx spread the
load over both servers of each kind and failed over after each kill. The widget's socket.io
path through the public port is checked too: a WebSocket conversation, and long-polling kept on
one Rasa server (ip_hash).

What it measured is printed (`-s`).
"""

from __future__ import annotations

import asyncio
import logging
import re
import statistics
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import socketio
from sqlalchemy import text

from bot.db import make_engine
from bot.telegram import rasa_client
from bot.telegram.rasa_client import RETRY_STATUSES, RasaClient
from tests.cluster.deployment import Deployment, running_deployment
from tests.cluster.events import problems, stored_events, user_texts
from tests.fixtures import dicom_factory
from tests.integration.stack import ROOT
from tests.needs import need

pytestmark = pytest.mark.integration

CONVERSATIONS = 8
STAGGER_SECONDS = 2.5  # between conversation starts: the kills find traffic of every kind
# (message, a piece of the answer)
TURNS = [
    ("hi", "can't look at images"),
    ("/ask_worthwhile", "What kind of exam was it?"),
    ('/inform{"exam_type":"mri"}', "Which part of the body was scanned?"),
    ("my lower back", "Which of these best describes your situation?"),
    ("the report was really vague and inconclusive", "second opinion on your spine MRI"),
    ("/open_case", "Before I take any personal details"),
    ('/affirm{"confirm":"consent"}', "What is the patient's full name?"),
    ("Maria Lopez", "What is the patient's date of birth"),
    ("03/14/1980", "How can our team reach you?"),
    ("maria@example.com", "Maria Lopez"),
    ('/affirm{"confirm":"case"}', "SR-"),
]
UPLOAD_TURN = ("/upload_files", "I found 1 study")
# Kill points: when this share of all messages has been answered.
KILLS = [(0.25, "rasa1"), (0.45, "actions1"), (0.65, "web1")]


@dataclass
class Load:
    messages_total: int
    answered: int = 0
    seconds: list[float] = field(default_factory=list)
    retried_web: int = 0
    progress: asyncio.Event = field(default_factory=asyncio.Event)

    def answer(self, seconds: float) -> None:
        self.answered += 1
        self.seconds.append(seconds)
        self.progress.set()


class RetryCounter(logging.Handler):
    """The bridge's client logs each message it sends again (ids and counts only)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += record.getMessage().startswith("Rasa unreachable")


@dataclass
class Journey:
    conversation: str
    sent: list[str] = field(default_factory=list)
    upload_ids: list[str] = field(default_factory=list)
    case_number: str = ""


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    need((ROOT / ".venv-rasa/bin/python").exists(), "the Rasa environment (.venv-rasa)")
    started = time.monotonic()
    with running_deployment(tmp_path_factory.mktemp("hosts")) as d:
        print(f"\n9 hosts up in {time.monotonic() - started:.0f} s")
        yield d


async def _web(client: httpx.AsyncClient, load: Load, method: str, url: str, **kw: object
               ) -> httpx.Response:  # fmt: skip
    """A browser's request to the web app: tried again, as a person would, when the proxy
    could not get an answer (nginx already moved it to the other web app where it could)."""
    for _ in range(10):
        try:
            response = await client.request(method, url, **kw)  # type: ignore[arg-type]
            if response.status_code not in RETRY_STATUSES:
                return response
        except httpx.TransportError:
            pass
        load.retried_web += 1
        await asyncio.sleep(1)
    raise AssertionError(f"{method} {url}: no answer after 10 tries")


async def _journey(d: Deployment, load: Load, index: int, dicom: list[tuple[str, bytes]]
                   ) -> Journey:  # fmt: skip
    await asyncio.sleep(index * STAGGER_SECONDS)
    async with httpx.AsyncClient(timeout=60) as web:
        rasa = RasaClient(d.rasa_url, d.secret_key, deadline_seconds=150, first_backoff=0.5,
                          max_backoff=2.0, request_timeout=130)  # fmt: skip
        try:
            session = await _web(web, load, "POST", f"{d.public_url}/api/sessions")
            assert session.status_code == 201, session.text
            journey = Journey(session.json()["conversation_id"])
            token = session.json()["token"]

            async def say(message: str, expected: str, metadata: dict | None = None) -> str:
                started = time.monotonic()
                replies = await rasa.send(journey.conversation, message, metadata or {})
                load.answer(time.monotonic() - started)
                journey.sent.append(message)
                answer = "\n".join(str(r.get("text", "")) for r in replies)
                assert expected in answer, f"{message!r}: {answer[:300]!r}"
                return answer

            for message, expected in TURNS:
                answer = await say(message, expected)
            found = re.search(r"SR-[0-9A-Z-]+", answer)
            journey.case_number = found.group(0) if found else ""
            uploaded = await _web(
                web, load, "POST", f"{d.public_url}/api/uploads",
                files=[("file", (n, b, "application/octet-stream")) for n, b in dicom],
                headers={"Authorization": f"Bearer {token}"},
            )  # fmt: skip
            assert uploaded.status_code == 201, uploaded.text
            journey.upload_ids = [u["id"] for u in uploaded.json()["uploads"]]
            await say(*UPLOAD_TURN, metadata={"upload_ids": journey.upload_ids})
            return journey
        finally:
            await rasa.aclose()


@dataclass
class Kill:
    name: str
    at: float  # seconds into the load
    in_flight: int  # requests the server was answering when it died


async def _killer(d: Deployment, load: Load, killed: list[Kill]) -> None:
    """At each kill point, wait (up to 5 s) for the server to be answering a request, so that
    the crash loses work in flight, then kill it."""
    started = time.monotonic()
    for share, name in KILLS:
        while load.answered < share * load.messages_total:
            load.progress.clear()
            await load.progress.wait()
        host, port = d.host(name), d.port(name)
        busy_by = time.monotonic() + 5
        in_flight = await asyncio.to_thread(host.connections, port)
        while in_flight == 0 and time.monotonic() < busy_by:
            await asyncio.sleep(0.01)
            in_flight = await asyncio.to_thread(host.connections, port)
        d.kill(name)
        killed.append(Kill(name, time.monotonic() - started, in_flight))


def _count(database_url: str, sql: str, **params: object) -> list[tuple]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql), params)]
    finally:
        engine.dispose()


@dataclass
class Proxied:
    served: Counter[str]  # requests answered per upstream server (the last one nginx tried)
    failed_over: int  # requests nginx moved to another server
    errors: int  # 5xx that reached a client


def _proxied(access_log: Path) -> Proxied:
    proxied = Proxied(Counter(), 0, 0)
    for line in access_log.read_text().splitlines():
        found = re.search(r'" (\d+) upstream=(\S+(?:, \S+)*) upstream_status', line)
        if not found or '"GET /"' in line:  # the readiness probe before the web apps were up
            continue
        tried = found.group(2).split(", ")
        proxied.served[tried[-1]] += 1
        proxied.failed_over += len(tried) > 1
        proxied.errors += found.group(1).startswith("5")
    return proxied


async def _websocket_turn(d: Deployment) -> list[str]:
    async with httpx.AsyncClient(timeout=30) as web:
        session = (await web.post(f"{d.public_url}/api/sessions")).json()
    said: list[str] = []
    answered = asyncio.Event()
    client = socketio.AsyncClient(reconnection=False)

    @client.on("bot_uttered")  # type: ignore[untyped-decorator]
    async def bot_uttered(data: dict) -> None:
        said.append(str(data.get("text", "")))
        answered.set()

    await client.connect(
        session["socket_url"], transports=["websocket"], auth={"token": session["token"]},
        socketio_path="/socket.io",
    )  # fmt: skip
    try:
        await client.emit("session_request", {"session_id": session["conversation_id"]})
        await asyncio.sleep(0.5)
        await client.emit("user_uttered",
                          {"message": "hi", "session_id": session["conversation_id"]})  # fmt: skip
        await asyncio.wait_for(answered.wait(), 60)
        await asyncio.sleep(1)
    finally:
        await client.disconnect()
    return said


def test_the_widget_reaches_rasa_over_websocket_and_polling_stays_on_one_server(
    deployment: Deployment,
) -> None:
    d = deployment
    said = asyncio.run(_websocket_turn(d))
    assert any("can't look at images" in s for s in said), said
    # Engine.IO long-polling: the handshake and every later request of the session must reach
    # the server that made the session (ip_hash); a stranger's server answers 400.
    with httpx.Client(timeout=10) as client:
        for _ in range(6):
            handshake = client.get(f"{d.public_url}/socket.io/",
                                   params={"EIO": "4", "transport": "polling"})  # fmt: skip
            assert handshake.status_code == 200, handshake.text
            sid = re.search(r'"sid":"([^"]+)"', handshake.text)
            assert sid, handshake.text
            poll = client.post(
                f"{d.public_url}/socket.io/",
                params={"EIO": "4", "transport": "polling", "sid": sid.group(1)},
                content=b'40{"token":"x"}',
            )
            assert poll.status_code == 200, poll.text
    # Rasa's REST channel and HTTP API are not on the public port.
    public_rest = httpx.post(f"{d.public_url}/webhooks/rest/webhook", json={}, timeout=10)
    assert public_rest.status_code in (404, 405)
    assert httpx.get(f"{d.public_url}/status", timeout=10).status_code == 404


def test_conversations_survive_one_rasa_action_and_web_server_dying(
    deployment: Deployment, tmp_path: Path
) -> None:
    d = deployment
    series = dicom_factory.ct_series(tmp_path, slices=3, rows=16, cols=16)
    dicom = [(path.name, path.read_bytes()) for path in series]
    load = Load(messages_total=CONVERSATIONS * (len(TURNS) + 1))
    killed: list[Kill] = []

    async def run() -> list[Journey]:
        killer = asyncio.create_task(_killer(d, load, killed))
        try:
            return list(
                await asyncio.gather(*(_journey(d, load, i, dicom) for i in range(CONVERSATIONS)))
            )
        finally:
            killer.cancel()

    retries = RetryCounter()
    logging.getLogger(rasa_client.__name__).addHandler(retries)
    started = time.monotonic()
    try:
        journeys = asyncio.run(run())
    finally:
        logging.getLogger(rasa_client.__name__).removeHandler(retries)
    elapsed = time.monotonic() - started

    wrong: dict[str, list[str]] = {}
    for journey in journeys:
        events = stored_events(d.database_url, journey.conversation)
        found = problems(events)
        if user_texts(events) != journey.sent:
            found.append(f"user messages stored {user_texts(events)}, sent {journey.sent}")
        if found:
            wrong[journey.conversation[:16]] = found
    ours = {j.conversation for j in journeys}
    cases = Counter(
        c for (c,) in _count(d.database_url, "SELECT conversation_id FROM cases") if c in ours
    )
    uploads = {
        public_id: (status, verdict is not None and checked_at is not None)
        for public_id, conversation, status, verdict, checked_at in _count(
            d.database_url,
            "SELECT public_id, conversation_id, status, verdict, checked_at FROM uploads",
        )
        if conversation in ours
    }
    # Their bytes are in the shared store (UPLOAD_STORAGE=database), under each upload's own
    # stored name: a web app that did not receive an upload could still check it.
    stored = {
        public_id: pages
        for public_id, conversation, pages in _count(
            d.database_url,
            "SELECT u.public_id, u.conversation_id, count(p.page) FROM uploads u"
            " LEFT JOIN stored_file_pages p ON p.path LIKE u.stored_name || '/%'"
            " GROUP BY u.public_id, u.conversation_id",
        )
        if conversation in ours
    }
    upload_ids = [u for j in journeys for u in j.upload_ids]
    # The shared inspection queue (procrastinate, bot/uploads/shared_queue.py): a job per upload,
    # deleted once it succeeded; one left over waits, runs or failed.
    jobs: dict[str, list[tuple[str, int]]] = {}
    for lock, status, attempts in _count(
        d.database_url,
        "SELECT lock, status::text, attempts FROM procrastinate.procrastinate_jobs"
        " WHERE task_name = 'inspect_upload'",
    ):
        jobs.setdefault(lock, []).append((status, attempts))
    proxied = _proxied(d.access_log)
    seconds = sorted(load.seconds)
    print(
        f"\nmulti-host: {CONVERSATIONS} conversations, {load.answered} messages in"
        f" {elapsed:.1f} s ({load.answered / elapsed:.1f} msg/s);"
        f" reply p50 {statistics.median(seconds):.2f} s,"
        f" p95 {seconds[int(0.95 * (len(seconds) - 1))]:.2f} s, max {seconds[-1]:.2f} s;"
        f" killed {', '.join(f'{k.name} at {k.at:.1f} s ({k.in_flight} busy)' for k in killed)};"
        f" nginx failed over {proxied.failed_over} requests, 5xx to clients {proxied.errors};"
        f" tried again by the clients: {load.retried_web} web requests,"
        f" {retries.count} messages;"
        f" cases {sum(cases.values())} for {len(cases)} conversations;"
        f" uploads {len(upload_ids)}, with a verdict"
        f" {sum(1 for u in upload_ids if uploads.get(u, ('', False))[1])},"
        f" inspection jobs left in the queue {sum(len(jobs.get(u, [])) for u in upload_ids)};"
        f" uploads the clients never heard of (sent again): {len(set(uploads) - set(upload_ids))};"
        f" answered per upstream {dict(sorted(proxied.served.items()))};"
        f" still running {d.alive()}"
    )
    assert [k.name for k in killed] == [n for _, n in KILLS]
    assert wrong == {}
    assert all(j.case_number for j in journeys)
    assert cases == Counter({c: 1 for c in ours}), "a conversation has no case, or two"
    assert len(set(upload_ids)) == len(upload_ids) == CONVERSATIONS
    for upload_id in upload_ids:
        status, has_verdict = uploads[upload_id]
        assert status == "checked" and has_verdict, (upload_id, status)
        assert jobs.get(upload_id) is None, (upload_id, jobs[upload_id])
        assert stored[upload_id] > 0, f"{upload_id} has no bytes in the shared store"
    # Both servers of each kind answered, and the survivors carried on after the kills.
    for kind, port in (("rasa", 5005), ("actions", 5055), ("web", 8000)):
        for number in (1, 2):
            address = f"{d.host(f'{kind}{number}').address}:{port}"
            assert proxied.served[address] > 0, f"{kind}{number} never answered through nginx"
    assert sorted(d.alive()) == ["actions2", "rasa2", "web2"]


