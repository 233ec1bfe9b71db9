"""Several Rasa servers behind nginx, and what the shared stores cost: printed, not asserted.

    .venv/bin/python bench/cluster.py [--levels 1,16] [--rounds 2] [--turns 8]

Four deployments of docs/deploy.md's topology, one after the other in one run, each on separate
test hosts (network namespaces, tests/cluster/deployment.py: needs root and iproute2, nginx,
PostgreSQL and Redis from `make deps`), one action server and one web app each, every message
through nginx's internal Rasa port:

1. one Rasa server, SQLite tracker store, in-memory lock store: the single-machine baseline;
2. one Rasa server, PostgreSQL tracker store, in-memory lock store: what PostgreSQL costs;
3. one Rasa server, PostgreSQL, our Redis lock store: what the shared lock costs;
4. two Rasa servers, PostgreSQL, Redis: what a second node buys.

The load is bench/load.py's: `level` conversations at once, each sending `--turns` realistic
turns one after the other (REST, a conversation token each). Per deployment and level it prints
throughput (messages per second over the round's wall time), reply p50, p95 and max, and the
ratio to the baseline. On the 2-core project machine every server shares the same two cores, so
a second Rasa server can add little: the figure says how little, not what two machines give.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load import TURNS, Round, first_reply, one_round, rest_sender, summary  # noqa: E402
from bot.security.tokens import issue_token  # noqa: E402
from tests.cluster.deployment import running_deployment  # noqa: E402
from tests.integration.stack import trained_model  # noqa: E402


@dataclass(frozen=True)
class Setup:
    name: str
    rasa: int
    database: str
    lock_store: str


SETUPS = (
    Setup("1 Rasa, SQLite, in-memory lock", 1, "sqlite", "in_memory"),
    Setup("1 Rasa, PostgreSQL, in-memory lock", 1, "postgresql", "in_memory"),
    Setup("1 Rasa, PostgreSQL, Redis lock", 1, "postgresql", "redis"),
    Setup("2 Rasa, PostgreSQL, Redis lock", 2, "postgresql", "redis"),
)


def measure(setup: Setup, workdir: Path, model: Path, args: argparse.Namespace
            ) -> tuple[float, dict[int, list[Round]]]:  # fmt: skip
    started = time.perf_counter()
    with running_deployment(workdir, rasa=setup.rasa, actions=1, web=1, model=model,
                            lock_store=setup.lock_store, database=setup.database) as d:  # fmt: skip

        def auth(sender: str) -> dict[str, str]:
            token = issue_token(d.secret_key, sender, "conversation", 600)
            return {"Authorization": f"Bearer {token}"}

        first_reply(d.rasa_url, auth, time.perf_counter() + 120)
        start = time.perf_counter() - started
        send = rest_sender(d.rasa_url, auth)
        results = {
            level: [
                asyncio.run(one_round(setup.name, send, level, args.turns))
                for _ in range(args.rounds)
            ]
            for level in args.level_list
        }
    return start, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="1,16")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--turns", type=int, default=len(TURNS))
    parser.add_argument("--model", type=Path, help="this model (default: the current inputs')")
    args = parser.parse_args()
    args.level_list = levels = [int(level) for level in args.levels.split(",")]
    model = args.model or trained_model()  # one model for every deployment
    # A stop (Ctrl-C, SIGTERM) still stops the servers and removes the test hosts.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    measured: dict[str, tuple[float, dict[int, list[Round]]]] = {}
    with tempfile.TemporaryDirectory(prefix="secondread-cluster-") as work:
        for number, setup in enumerate(SETUPS):
            workdir = Path(work) / str(number)
            workdir.mkdir()
            print(f"starting: {setup.name} ...", file=sys.stderr, flush=True)
            measured[setup.name] = measure(setup, workdir, model, args)
    report(measured, levels, args, model)


def report(
    measured: dict[str, tuple[float, dict[int, list[Round]]]],
    levels: list[int],
    args: argparse.Namespace,
    model: Path,
) -> None:
    ms = 1000
    print(f"Cluster behind nginx, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, every "
          f"server on the same machine; {args.rounds} rounds per level, {args.turns} messages "
          f"per conversation (REST through nginx); model {model.name}")
    print(f"{'':>4} {'deployment':<36} {'msg/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} "
          f"{'failed':>6} {'x base msg/s':>12} {'x base p95':>10}")
    baseline = SETUPS[0].name
    for level in levels:
        base = summary(measured[baseline][1][level])
        for setup in SETUPS:
            row = summary(measured[setup.name][1][level])
            print(f"{level:>4} {setup.name:<36} {row['throughput']:>7.1f} {row['p50'] * ms:>7.0f} "
                  f"{row['p95'] * ms:>7.0f} {row['max'] * ms:>7.0f} {row['failures']:>6.0f} "
                  f"{row['throughput'] / base['throughput']:>11.2f}x "
                  f"{row['p95'] / base['p95']:>9.2f}x")
    for setup in SETUPS:
        print(f"start to the first reply through nginx, {setup.name}: "
              f"{measured[setup.name][0]:.0f} s")


if __name__ == "__main__":
    main()
