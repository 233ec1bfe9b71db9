"""SecondRead under load, side by side with a bare `rasa init` bot: printed, not asserted.

    .venv/bin/python bench/load.py [--levels 1,20,50] [--rounds 2] [--turns 8] [--model M]
    .venv/bin/python bench/load.py --count-actions     # action-server calls per turn, no timing

Both bots run on the same Rasa (3.6.21, `.venv-rasa`) with the same tracker store settings (SQL,
SQLite, in a throwaway directory) and the in-memory lock store, each in its own process, on
loopback:

- the bare bot: `rasa init --no-prompt`'s project and model, made once into the model cache
  (MODEL_CACHE_DIR/bare-rasa-init, about two minutes the first time), no action server;
- SecondRead: Rasa, the action server and the web app, started as the integration tests and
  `make run` start them, with the model for the current inputs.

Each is started alone and timed to its first reply to "hi". Then, for every concurrency level,
rounds alternate between the two bots (bare, SecondRead, bare, ...) so that a busy machine slows
both alike. A round is `level` conversations at once, each sending `--turns` messages one after
the other through the REST channel: SecondRead's own realistic turns (free text, button payloads,
a form, an upload message with metadata), the same texts for both bots. Per bot and level it
prints throughput (messages per second over the round's wall time), reply p50, p95 and max, and
the ratios, and the CPU time each bot's processes used per message (Rasa; for SecondRead also the
action server), which a busy shared machine disturbs far less than the wall clock; at the end
the resident memory of both Rasa processes.

`--count-actions` times nothing: it starts SecondRead alone with Rasa logging at DEBUG and sends
one conversation of the same turns, printing per turn the calls Rasa made to the action server
(custom actions, form validations, action_session_start), read from Rasa's log.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import cpu_seconds, percentile, pid_serving, rss_mb  # noqa: E402
from tests.integration.stack import free_port, running_stack, stop  # noqa: E402

RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
# A patient's first minutes: a greeting, a menu button, a form answered in words and by button,
# a question, an upload announced with its ids (as the widget and the bridge send it), thanks.
TURNS: tuple[tuple[str, dict[str, Any] | None], ...] = (
    ("hi", None),
    ("/ask_worthwhile", None),
    ("it was an MRI", None),
    ("my left knee", None),
    ('/inform{"situation":"complex_diagnosis"}', None),
    ("how much does a second read cost with medicare", None),
    ("/upload_files", {"upload_ids": ["up_bench_unknown"]}),
    ("thanks, that helps", None),
)
Send = Callable[[httpx.AsyncClient, str, str, dict[str, Any] | None], Awaitable[None]]


@dataclass
class Round:
    bot: str
    level: int
    replies: list[float]
    wall: float
    failures: int
    # CPU seconds each of the bot's processes used during the round, by process name.
    cpu: dict[str, float]
    # Reply times by position in the conversation (TURNS): which turns make the tail.
    by_turn: dict[int, list[float]] = field(default_factory=dict)

    @property
    def throughput(self) -> float:
        return len(self.replies) / self.wall if self.wall else 0.0


# -- the bare bot --------------------------------------------------------------------------------


def bare_project() -> Path:
    """`rasa init --no-prompt`'s project with its trained model, made once into the cache."""
    cache = Path(os.environ.get("MODEL_CACHE_DIR", Path.home() / ".cache/secondread/models"))
    project = cache / "bare-rasa-init"
    if list((project / "models").glob("*.tar.gz")):
        return project
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir(parents=True)  # `rasa init` wants the directory to exist
    print("training the bare `rasa init` bot once (cached) ...", file=sys.stderr)
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false")
    subprocess.run([str(RASA), "init", "--no-prompt", "--init-dir", str(project)], env=env,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    return project


@contextmanager
def bare_bot(workdir: Path) -> Iterator[tuple[str, subprocess.Popen[bytes], float]]:
    """The bare bot's URL, process and seconds from start to its first reply."""
    project = bare_project()
    model = sorted((project / "models").glob("*.tar.gz"))[-1]
    endpoints = workdir / "bare-endpoints.yml"
    endpoints.write_text(
        "tracker_store:\n  type: SQL\n  dialect: sqlite\n"
        f"  db: {workdir / 'bare.db'}\nlock_store:\n  type: in_memory\n"
    )
    port = free_port()
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2")
    command = [str(RASA), "run", "--model", str(model), "--endpoints", str(endpoints),
               "--credentials", str(project / "credentials.yml"), "--interface", "127.0.0.1",
               "--port", str(port)]  # fmt: skip
    started = time.perf_counter()
    with (workdir / "bare.log").open("wb") as log:
        proc = subprocess.Popen(command, cwd=project, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        first_reply(url, None, started + 600)
        yield url, proc, time.perf_counter() - started
    finally:
        stop(proc)


def first_reply(
    url: str, auth: Callable[[str], dict[str, str]] | None, deadline: float
) -> None:
    while time.perf_counter() < deadline:
        sender = f"start-{uuid.uuid4().hex[:8]}"
        try:
            response = httpx.post(f"{url}/webhooks/rest/webhook", timeout=30,
                                  headers=auth(sender) if auth else None,
                                  json={"sender": sender, "message": "hi"})
            if response.status_code == 200 and response.json():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{url} gave no reply")


# -- the load --------------------------------------------------------------------------------------


def rest_sender(url: str, auth: Callable[[str], dict[str, str]] | None) -> Send:
    async def send(
        client: httpx.AsyncClient, sender: str, text: str, metadata: dict[str, Any] | None
    ) -> None:
        body: dict[str, Any] = {"sender": sender, "message": text}
        if metadata:
            body["metadata"] = metadata
        response = await client.post(f"{url}/webhooks/rest/webhook", json=body,
                                     headers=auth(sender) if auth else None)
        response.raise_for_status()

    return send


async def one_round(bot: str, send: Send, level: int, turns: int) -> Round:
    replies: list[float] = []
    by_turn: dict[int, list[float]] = {}
    failures = 0

    async def conversation(client: httpx.AsyncClient) -> None:
        nonlocal failures
        me = f"load-{uuid.uuid4().hex[:12]}"
        for position, (text, metadata) in enumerate(TURNS[:turns]):
            t0 = time.perf_counter()
            try:
                await send(client, me, text, metadata)
            except httpx.HTTPError:
                failures += 1
                continue
            replies.append(time.perf_counter() - t0)
            by_turn.setdefault(position, []).append(replies[-1])

    limits = httpx.Limits(max_connections=level + 5)
    async with httpx.AsyncClient(timeout=300, limits=limits) as client:
        t0 = time.perf_counter()
        await asyncio.gather(*(conversation(client) for _ in range(level)))
        wall = time.perf_counter() - t0
    return Round(bot, level, replies, wall, failures, {}, by_turn)


def timed_round(bot: str, send: Send, level: int, turns: int, pids: dict[str, int]) -> Round:
    """One round, with the CPU time each of the bot's processes used during it."""
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    done = asyncio.run(one_round(bot, send, level, turns))
    done.cpu = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
    return done


def summary(rounds: list[Round]) -> dict[str, float]:
    replies = [r for one in rounds for r in one.replies]
    return {
        "throughput": statistics.median(one.throughput for one in rounds),
        "p50": statistics.median(replies) if replies else float("nan"),
        "p95": percentile(replies, 0.95) if replies else float("nan"),
        "max": max(replies) if replies else float("nan"),
        "failures": sum(one.failures for one in rounds),
        # CPU milliseconds per message: Rasa's, and all of the bot's processes together.
        "rasa_cpu": 1000 * sum(one.cpu.get("Rasa", 0.0) for one in rounds) / len(replies),
        "cpu": 1000 * sum(sum(one.cpu.values()) for one in rounds) / len(replies),
    }


ACTION_CALL = re.compile(r"Calling action endpoint to run action '([^']+)'")


def count_action_calls(workdir: Path, model: Path | None) -> None:
    """One conversation, Rasa at DEBUG: the action-server calls each turn makes, by name."""
    with running_stack(workdir, extra_env={"LOG_LEVEL": "DEBUG"}, model=model) as stack:
        first_reply(stack.rasa_url, stack.auth, time.perf_counter() + 120)
        log = workdir / "rasa.log"
        sender = f"count-{uuid.uuid4().hex[:12]}"
        total = 0
        print(f"Action-server calls per turn, one conversation, {time.strftime('%Y-%m-%d')}")
        for text, metadata in TURNS:
            start = log.stat().st_size
            stack.say(sender, text, metadata)
            with log.open("rb") as f:
                f.seek(start)
                calls = ACTION_CALL.findall(f.read().decode(errors="replace"))
            total += len(calls)
            print(f"{len(calls):>3}  {text[:40]:<40}  {', '.join(calls)}")
        print(f"{total} calls for {len(TURNS)} turns: {total / len(TURNS):.2f} per turn")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="1,20,50")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--turns", type=int, default=len(TURNS))
    parser.add_argument("--model", type=Path, help="SecondRead with this model (another pipeline)")
    parser.add_argument("--count-actions", action="store_true",
                        help="count the action-server calls per turn instead of timing")
    args = parser.parse_args()
    if args.count_actions:
        with tempfile.TemporaryDirectory(prefix="secondread-count-") as work:
            count_action_calls(Path(work), args.model)
        return
    levels = [int(level) for level in args.levels.split(",")]
    with tempfile.TemporaryDirectory(prefix="secondread-load-") as work:
        workdir = Path(work)
        (workdir / "secondread").mkdir()
        with bare_bot(workdir) as (bare_url, bare_proc, bare_start):
            started = time.perf_counter()
            with running_stack(workdir / "secondread", model=args.model) as stack:
                first_reply(stack.rasa_url, stack.auth, time.perf_counter() + 60)
                ours_start = time.perf_counter() - started
                bots = {
                    "bare": rest_sender(bare_url, None),
                    "SecondRead": rest_sender(stack.rasa_url, stack.auth),
                }
                ours_pid = pid_serving(int(stack.rasa_url.rsplit(":", 1)[1]))
                actions_pid = pid_serving(int(stack.action_url.rsplit(":", 1)[1]),
                                          b"bot.actions.server")
                pids = {"bare": {"Rasa": bare_proc.pid},
                        "SecondRead": {"Rasa": ours_pid or 0, "actions": actions_pid or 0}}
                results: dict[tuple[str, int], list[Round]] = {}
                for level in levels:
                    for _ in range(args.rounds):
                        for name, send in bots.items():
                            done = timed_round(name, send, level, args.turns, pids[name])
                            results.setdefault((name, level), []).append(done)
                ours_rss = rss_mb(ours_pid) if ours_pid else None
                bare_rss = rss_mb(bare_proc.pid)
    report(results, levels, args, bare_start, ours_start, bare_rss, ours_rss)


def report(
    results: dict[tuple[str, int], list[Round]],
    levels: list[int],
    args: argparse.Namespace,
    bare_start: float,
    ours_start: float,
    bare_rss: float | None,
    ours_rss: float | None,
) -> None:
    ms = 1000
    print(f"Load, SecondRead next to a bare `rasa init` bot, {time.strftime('%Y-%m-%d')}, "
          f"{os.cpu_count()} cores; {args.rounds} alternating rounds per level, "
          f"{args.turns} messages per conversation (REST)")
    print(f"{'':>4} {'':<11} {'msg/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {'failed':>6}"
          f" {'CPU ms/msg: Rasa':>16} {'all':>6}")
    for level in levels:
        bare = summary(results[("bare", level)])
        ours = summary(results[("SecondRead", level)])
        for name, row in (("bare", bare), ("SecondRead", ours)):
            print(f"{level:>4} {name:<11} {row['throughput']:>7.1f} {row['p50'] * ms:>7.0f} "
                  f"{row['p95'] * ms:>7.0f} {row['max'] * ms:>7.0f} {row['failures']:>6.0f}"
                  f" {row['rasa_cpu']:>16.1f} {row['cpu']:>6.1f}")
        print(f"{level:>4} {'ratio':<11} {ours['throughput'] / bare['throughput']:>6.2f}x "
              f"{ours['p50'] / bare['p50']:>6.2f}x {ours['p95'] / bare['p95']:>6.2f}x "
              f"{ours['max'] / bare['max']:>6.2f}x {'':>6} "
              f"{ours['rasa_cpu'] / bare['rasa_cpu']:>15.2f}x {ours['cpu'] / bare['cpu']:>5.2f}x")
    busiest = max(levels)
    print(f"by turn, {busiest} at once: p95 ms bare / SecondRead (ratio)")
    for position, (text, _) in enumerate(TURNS[: args.turns]):
        row = {name: [t for one in results[(name, busiest)] for t in one.by_turn.get(position, [])]
               for name in ("bare", "SecondRead")}
        if all(row.values()):
            bare_p95, ours_p95 = (percentile(row[n], 0.95) * ms for n in ("bare", "SecondRead"))
            print(f"  {text[:40]:<40} {bare_p95:>6.0f} / {ours_p95:>6.0f} "
                  f"({ours_p95 / bare_p95:.2f}x)")
    print(f"start to first reply: bare {bare_start:.1f} s, SecondRead {ours_start:.1f} s "
          f"(3 servers), ratio {ours_start / bare_start:.2f}x")
    if bare_rss and ours_rss:
        print(f"Rasa resident memory at the end: bare {bare_rss:.0f} MB, SecondRead "
              f"{ours_rss:.0f} MB, ratio {ours_rss / bare_rss:.2f}x")


if __name__ == "__main__":
    main()
