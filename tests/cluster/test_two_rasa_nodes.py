"""Two Rasa servers behind one load balancer: one PostgreSQL tracker store, one Redis lock store.

Each conversation's messages go alternately to the two servers (several conversations at once),
so every turn starts from what the other server stored; then both servers get a message of the
same conversation at the same moment, which the lock in Redis must serialise. Checked: every
message is answered, the form's answers carry over between servers, the `events` rows of each
conversation in PostgreSQL hold every user message exactly once, in order, with each turn
complete before the next begins, and Redis really held the locks (lock keys seen during the
turns, with the expiry only our AtomicRedisLockStore sets; GET/SET/DEL calls counted by INFO
commandstats). What was measured is printed (`-s`).

The same run with LOCK_STORE=in_memory (each server locking alone) lost simultaneous messages:
3 to 6 of the 6 conversations each round stored 3 to 5 of their 6 (seen here, 4 rounds). With
Rasa's own RedisLockStore, a message waited unanswered until the client gave up after 120 s
(1 round in 6; tests/cluster/test_lock_store.py shows why).
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest

from tests.cluster.cluster import Cluster, running_cluster
from tests.cluster.events import problems, stored_events, user_texts
from tests.cluster.redis_server import RedisServer
from tests.integration.stack import ROOT
from tests.needs import need

pytestmark = pytest.mark.integration

CONVERSATIONS = 6
SIMULTANEOUS_ROUNDS = 3
LOCK_PREFIX = b"lock:"  # Rasa's RedisLockStore key prefix (DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX)
LOCK_DB = 1  # REDIS_DB (Rasa's default database for locks)

# (message, a piece of the answer): the form's answers come from turns on both servers.
JOURNEY = [
    ("hi", "can't look at images"),
    ("/ask_worthwhile", "What kind of exam was it?"),
    ('/inform{"exam_type":"mri"}', "Which part of the body was scanned?"),
    ("my lower back", "Which of these best describes your situation?"),
    ("are you a robot?", "automated assistant"),
    # Exam (turn 3, one server) and body part (turn 4, the other) both reached this turn.
    ("the report was really vague and inconclusive", "second opinion on your spine MRI"),
]
# Sent to both servers at the same moment, one each.
PAIR = ("are you a robot?", "are you a real person?")


@dataclass
class Measured:
    seconds: list[float] = field(default_factory=list)
    per_node: Counter[int] = field(default_factory=Counter)
    unanswered: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, node: int, seconds: float, replies: list[dict], what: str) -> None:
        with self.lock:
            self.seconds.append(seconds)
            self.per_node[node] += 1
            if not replies:
                self.unanswered.append(what)


class LockWatcher:
    """Samples Redis's lock keys every few milliseconds while the conversations run."""

    def __init__(self, redis: RedisServer) -> None:
        self._redis = redis
        self._stop = threading.Event()
        self.samples = 0
        self.most_at_once = 0
        self.conversations: set[bytes] = set()
        self.longest_ttl_ms = -1  # our store's keys expire by themselves; Rasa's never do
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with self._redis.client(LOCK_DB) as client:
            while not self._stop.is_set():
                keys = client.command("KEYS", "lock:*")
                assert isinstance(keys, list)
                self.samples += 1
                self.most_at_once = max(self.most_at_once, len(keys))
                for key in keys:
                    assert isinstance(key, bytes)
                    self.conversations.add(key.removeprefix(LOCK_PREFIX))
                    ttl = client.command("PTTL", key)
                    if isinstance(ttl, int):
                        self.longest_ttl_ms = max(self.longest_ttl_ms, ttl)
                time.sleep(0.005)

    def __enter__(self) -> LockWatcher:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    need((ROOT / ".venv-rasa/bin/python").exists(), "the Rasa environment (.venv-rasa)")
    with running_cluster(tmp_path_factory.mktemp("cluster"), nodes=2) as c:
        yield c


def _say(cluster: Cluster, measured: Measured, node: int, me: str, token: str, message: str
         ) -> list[dict]:  # fmt: skip
    started = time.monotonic()
    replies = cluster.say(node, me, token, message)
    measured.record(node, time.monotonic() - started, replies, message)
    return replies


def _journey(cluster: Cluster, measured: Measured, index: int) -> tuple[str, list[str]]:
    me, token = cluster.new_conversation()
    sent = []
    for turn, (message, expected) in enumerate(JOURNEY):
        node = (index + turn) % 2  # alternate; half the conversations start on each server
        replies = _say(cluster, measured, node, me, token, message)
        sent.append(message)
        answer = "\n".join(r.get("text", "") for r in replies)
        assert expected in answer, f"turn {turn} on node {node}: {answer[:200]!r}"

    def together(barrier: threading.Barrier, node: int, message: str) -> list[dict]:
        barrier.wait()
        return _say(cluster, measured, node, me, token, message)

    for _ in range(SIMULTANEOUS_ROUNDS):
        barrier = threading.Barrier(2)
        with ThreadPoolExecutor(2) as pool:
            both = [pool.submit(together, barrier, n, message) for n, message in enumerate(PAIR)]
            for future in both:
                assert future.result(), "a message sent at the same time got no answer"
        sent.extend(PAIR)
    return me, sent


def _check_events(events: list[dict], sent: list[str]) -> list[str]:
    """What is wrong with one conversation's stored events (empty: nothing)."""
    found = []
    stored = user_texts(events)
    journey, pairs = sent[: len(JOURNEY)], sent[len(JOURNEY) :]
    if stored[: len(JOURNEY)] != journey:
        found.append(f"journey messages stored as {stored[: len(JOURNEY)]}")
    # Each simultaneous pair in either order, each message exactly once.
    stored_pairs = stored[len(JOURNEY) :]
    expected_pairs = [sorted(pairs[i : i + 2]) for i in range(0, len(pairs), 2)]
    got_pairs = [sorted(stored_pairs[i : i + 2]) for i in range(0, len(stored_pairs), 2)]
    if got_pairs != expected_pairs:
        found.append(f"{len(stored_pairs)} simultaneous messages stored, {len(pairs)} sent")
    return found + problems(events)


def test_two_rasa_nodes_share_postgres_and_redis_locks(cluster: Cluster) -> None:
    measured = Measured()
    with cluster.redis.client() as client:
        calls_before = client.command_calls()
    started = time.monotonic()
    with LockWatcher(cluster.redis) as watcher, ThreadPoolExecutor(CONVERSATIONS) as pool:
        results = list(pool.map(lambda i: _journey(cluster, measured, i), range(CONVERSATIONS)))
    elapsed = time.monotonic() - started
    with cluster.redis.client(LOCK_DB) as client:
        calls_after = client.command_calls()
        leftover = client.command("KEYS", "lock:*")
        clients = int(client.info("clients")["connected_clients"])
    delta = {k: calls_after.get(k, 0) - calls_before.get(k, 0) for k in ("get", "set", "del")}

    wrong: dict[str, list[str]] = {}
    stored_user = 0
    for me, sent in results:
        events = stored_events(cluster.database_url, me)
        stored_user += sum(1 for e in events if e["event"] == "user")
        if found := _check_events(events, sent):
            wrong[me[:12]] = found
    sent_total = sum(len(sent) for _, sent in results)
    ours = {me.encode() for me, _ in results}

    seconds = sorted(measured.seconds)
    print(
        "\n2 Rasa nodes, PostgreSQL tracker store, Redis lock store:"
        f" {CONVERSATIONS} conversations,"
        f" {sent_total} messages in {elapsed:.1f} s (per node: {dict(measured.per_node)});"
        f" answered {len(seconds) - len(measured.unanswered)}/{len(seconds)};"
        f" reply time median {statistics.median(seconds):.2f} s,"
        f" p95 {seconds[int(0.95 * (len(seconds) - 1))]:.2f} s, max {seconds[-1]:.2f} s;"
        f" user events stored {stored_user}/{sent_total};"
        f" Redis: {delta['get']} GET, {delta['set']} SET, {delta['del']} DEL,"
        f" lock keys seen in {watcher.samples} samples: up to {watcher.most_at_once} at once,"
        f" {len(watcher.conversations & ours)}/{CONVERSATIONS} conversations,"
        f" expiring in up to {watcher.longest_ttl_ms / 1000:.0f} s;"
        f" {clients} clients connected; lock keys left: {len(leftover or [])}"
    )
    assert measured.unanswered == []
    assert wrong == {}
    assert stored_user == sent_total
    # Per message: a ticket (GET, SET), the wait (GET), the end (GET, then SET or DEL).
    messages = len(seconds)
    assert delta["set"] >= messages and delta["del"] >= 1
    assert delta["set"] + delta["del"] >= 2 * messages and delta["get"] >= 3 * messages
    assert watcher.conversations & ours, "no lock key of ours was ever seen in Redis"
    # LOCK_STORE=redis is our AtomicRedisLockStore (scripts/rasa-serve): its keys expire.
    assert watcher.longest_ttl_ms > 0, "the lock keys never expire: Rasa's own Redis store?"
    assert leftover == [], "a lock was left behind in Redis"
    # Both Rasa servers (and our watcher) hold connections to Redis.
    assert clients >= 3
