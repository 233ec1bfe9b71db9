"""The production topology of docs/deploy.md on separate test hosts (tests/cluster/hosts.py):
PostgreSQL, Redis, N Rasa servers, N action servers, N web apps, and nginx in front.

Every server listens on its own host's address only; each finds the others through nginx
(tests/cluster/nginx.py) or by address, never through loopback. Rasa servers share the
PostgreSQL tracker store and our AtomicRedisLockStore; action servers and web apps are
stateless apart from the database. Each node has its own VAR_DIR (its own disk); stored uploads
live in the shared database (UPLOAD_STORAGE=database, docs/deploy.md), or, for the one-database
SQLite variant, in a directory every web app and action server mounts.
"""

from __future__ import annotations

import secrets
import signal
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.cases.postgres import running_postgres
from tests.cluster.cluster import create_database, redis_env
from tests.cluster.hosts import Host, Network, network
from tests.cluster.nginx import ACTIONS_INTERNAL, PUBLIC, RASA_INTERNAL, Upstreams, running_nginx
from tests.cluster.redis_server import RedisServer, running_redis
from tests.integration.stack import (
    PYTHON,
    ROOT,
    action_command,
    migrate,
    rasa_command,
    server_env,
    stop,
    trained_model,
    wait_until_up,
    web_command,
)

RASA_PORT, ACTION_PORT, WEB_PORT = 5005, 5055, 8000
# A Rasa server killed mid-turn leaves its lock ticket behind; the conversation's next message
# waits for it to expire. Rasa's default is 60 s; a turn here takes a few seconds at most.
TICKET_LOCK_LIFETIME = "20"


@dataclass
class Deployment:
    net: Network
    public_url: str  # nginx, the only listener an internet user reaches
    rasa_url: str  # nginx, Rasa's REST channel and HTTP API (inside)
    database_url: str
    redis: RedisServer
    secret_key: str
    api_token: str
    access_log: Path
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)

    def host(self, name: str) -> Host:
        return self.net.hosts[name]

    def port(self, name: str) -> int:
        return RASA_PORT if name.startswith("rasa") else (
            ACTION_PORT if name.startswith("actions") else WEB_PORT
        )  # fmt: skip

    def kill(self, name: str) -> None:
        """As a crash: SIGKILL, nothing flushed, no goodbye to nginx or Redis."""
        proc = self.procs[name]
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def alive(self) -> list[str]:
        return [name for name, proc in self.procs.items() if proc.poll() is None]


def node_names(rasa: int, actions: int, web: int) -> list[str]:
    return [
        *(f"rasa{n + 1}" for n in range(rasa)),
        *(f"actions{n + 1}" for n in range(actions)),
        *(f"web{n + 1}" for n in range(web)),
    ]


def migrate_from_every_web_host(
    net: Network, nodes: list[str], env: dict[str, str], workdir: Path
) -> None:
    """`python -m bot.db` on every web host at once, as each web app's systemd unit runs it
    before starting: one migrates, the others wait for it (an advisory lock) and find the schema
    current."""
    webs = [name for name in nodes if name.startswith("web")]
    runs = {
        name: net.hosts[name].popen(
            [PYTHON, "-m", "bot.db"], workdir / f"migrate-{name}.log", cwd=ROOT, env=env
        )
        for name in webs
    }
    for name, run in runs.items():
        assert run.wait(timeout=120) == 0, (workdir / f"migrate-{name}.log").read_text()[-3000:]


@contextmanager
def running_deployment(
    workdir: Path,
    rasa: int = 2,
    actions: int = 2,
    web: int = 2,
    lock_store: str = "redis",
    database: str = "postgresql",
    model: Path | None = None,
) -> Iterator[Deployment]:
    """Every server up when the block starts; everything stopped and every host removed after,
    whatever happened (call from a fixture). `database="sqlite"` (for bench/cluster.py's
    baseline, one node of each kind) puts every table in one SQLite file that the hosts share
    through the machine's disk: namespaces separate networks, not file systems. `model`
    replaces the one for the current inputs."""
    model = model or trained_model()
    nodes = node_names(rasa, actions, web)
    with ExitStack() as stack:
        net = stack.enter_context(network(["postgres", "redis", "nginx", *nodes]))
        proxy = net.hosts["nginx"].address
        if database == "sqlite":
            database_url = f"sqlite:///{workdir / 'secondread.db'}"
        else:
            postgres = stack.enter_context(
                running_postgres(
                    host=net.hosts["postgres"].address,
                    inside=net.hosts["postgres"].command([]),
                    clients=net.cidr,
                )
            )
            database_url = create_database(postgres)
        redis = stack.enter_context(
            running_redis(host=net.hosts["redis"].address, inside=net.hosts["redis"].command([]))
        )
        api_token, secret_key = secrets.token_urlsafe(24), secrets.token_urlsafe(32)
        # One environment for every node (the same keys), each with its own VAR_DIR.
        env = server_env(
            workdir,
            database_url=database_url,
            action_url=f"http://{proxy}:{ACTIONS_INTERNAL}/webhook",
            rasa_url=f"http://{proxy}:{RASA_INTERNAL}",
            public_url=f"http://{proxy}:{PUBLIC}",
            api_token=api_token,
            secret_key=secret_key,
            RASA_PUBLIC_URL=f"http://{proxy}:{PUBLIC}",
            TRUSTED_PROXIES=proxy,
            TICKET_LOCK_LIFETIME=TICKET_LOCK_LIFETIME,
            **redis_env(redis, lock_store),
        )
        if database == "sqlite":
            migrate(env)
        else:
            migrate_from_every_web_host(net, nodes, env, workdir)
        up = Upstreams(
            web=[f"{net.hosts[n].address}:{WEB_PORT}" for n in nodes if n.startswith("web")],
            rasa=[f"{net.hosts[n].address}:{RASA_PORT}" for n in nodes if n.startswith("rasa")],
            actions=[
                f"{net.hosts[n].address}:{ACTION_PORT}" for n in nodes if n.startswith("actions")
            ],
        )
        access_log = stack.enter_context(running_nginx(net.hosts["nginx"], up, workdir / "nginx"))
        deployment = Deployment(
            net=net,
            public_url=f"http://{proxy}:{PUBLIC}",
            rasa_url=f"http://{proxy}:{RASA_INTERNAL}",
            database_url=database_url,
            redis=redis,
            secret_key=secret_key,
            api_token=api_token,
            access_log=access_log,
        )
        stack.callback(lambda: stop(*deployment.procs.values()))
        health = {}
        # Any web app's worker may take an upload's inspection job from the shared queue, so
        # every web app and action server reads the same stored uploads: from the shared
        # PostgreSQL store (docs/deploy.md), or on SQLite from a directory they all mount.
        shared_uploads = workdir / "shared-uploads"
        shared_uploads.mkdir()
        if database != "sqlite":
            env["UPLOAD_STORAGE"] = "database"
        for name in nodes:
            host = net.hosts[name]
            var = workdir / name
            var.mkdir()
            if database == "sqlite" and not name.startswith("rasa"):
                (var / "uploads").symlink_to(shared_uploads)
            if name.startswith("rasa"):
                argv = rasa_command(model, RASA_PORT, interface=host.address)
                health[name] = f"http://{host.address}:{RASA_PORT}/status?token={api_token}"
            elif name.startswith("actions"):
                argv = action_command(ACTION_PORT, host=host.address)
                health[name] = f"http://{host.address}:{ACTION_PORT}/health"
            else:
                argv = web_command(WEB_PORT, host=host.address)
                health[name] = f"http://{host.address}:{WEB_PORT}/healthz"
            deployment.logs[name] = workdir / f"{name}.log"
            deployment.procs[name] = host.popen(
                argv, deployment.logs[name], cwd=ROOT, env={**env, "VAR_DIR": str(var)}
            )
        for name in sorted(nodes, key=lambda n: n.startswith("rasa")):  # Rasa loads longest
            wait_until_up(health[name], deployment.procs[name], deployment.logs[name], 400)
        httpx.get(f"{deployment.public_url}/healthz", timeout=10).raise_for_status()
        yield deployment
