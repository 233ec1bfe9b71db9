"""Several Rasa servers on one PostgreSQL tracker store and one Redis lock store, with one action
server and the web app, all on loopback: production's scale-out path (README "Production").

Like tests/integration/stack.py, with PostgreSQL (tests/cases/postgres.py) for every table and
Rasa's `events`, a password-protected Redis (tests/cluster/redis_server.py) for the locks, and
the Rasa servers started together (loading the model takes about a minute each).
"""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from bot.security.tokens import issue_token
from tests.cases.postgres import running_postgres
from tests.cluster.redis_server import RedisServer, running_redis
from tests.integration.stack import (
    ROOT,
    free_port,
    rasa_command,
    stop,
    trained_model,
    wait_until_up,
)


@dataclass
class Cluster:
    rasa_urls: list[str]
    action_url: str
    web_url: str
    api_token: str
    secret_key: str
    database_url: str  # SQLAlchemy URL of the shared PostgreSQL database (psycopg 3)
    redis: RedisServer
    logs: dict[str, Path] = field(default_factory=dict)

    def new_conversation(self) -> tuple[str, str]:
        """A conversation id and its token, from the web app as the widget gets them."""
        r = httpx.post(f"{self.web_url}/api/sessions", timeout=30)
        r.raise_for_status()
        body = r.json()
        return str(body["conversation_id"]), str(body["token"])

    def say(self, node: int, sender: str, token: str, message: str) -> list[dict]:
        r = httpx.post(
            f"{self.rasa_urls[node]}/webhooks/rest/webhook",
            json={"sender": sender, "message": message},
            headers={"Authorization": f"Bearer {token}"},
            timeout=120,
        )
        r.raise_for_status()
        return list(r.json())

    def token_for(self, sender: str) -> str:
        return issue_token(self.secret_key, sender, "conversation", 600)


@contextmanager
def running_cluster(workdir: Path, nodes: int = 2, lock_store: str = "redis") -> Iterator[Cluster]:
    """`nodes` Rasa servers (LOCK_STORE=`lock_store`) on one PostgreSQL database and one Redis,
    plus the action server and the web app; every server is up when the block starts."""
    model = trained_model()
    with ExitStack() as stack:
        postgres = stack.enter_context(running_postgres())
        admin = create_engine(postgres.url(), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as connection:
                connection.execute(text("CREATE DATABASE secondread"))
        finally:
            admin.dispose()
        database_url = postgres.url("secondread")
        redis = stack.enter_context(running_redis())
        rasa_ports = [free_port() for _ in range(nodes)]
        action_port, web_port = free_port(), free_port()
        api_token, secret_key = secrets.token_urlsafe(24), secrets.token_urlsafe(32)
        env = dict(os.environ)
        env.update(
            VAR_DIR=str(workdir),
            DATABASE_URL=database_url,
            # Rasa (SQLAlchemy 1.4) reaches the same database with psycopg2.
            TRACKER_URL=database_url.replace("+psycopg", ""),
            TRACKER_DIALECT="postgresql",
            LOCK_STORE=lock_store,
            REDIS_HOST="127.0.0.1",
            REDIS_PORT=str(redis.port),
            REDIS_DB="1",
            REDIS_PASSWORD=redis.password,
            ACTION_ENDPOINT_URL=f"http://127.0.0.1:{action_port}/webhook",
            RASA_URL=f"http://127.0.0.1:{rasa_ports[0]}",
            TF_CPP_MIN_LOG_LEVEL="2",
            RASA_TELEMETRY_ENABLED="false",
            RASA_API_TOKEN=api_token,
            ACTION_SERVER_TOKEN=secrets.token_urlsafe(32),
            # Every key is given: the servers run as in production, not in development mode.
            SECONDREAD_DEV_MODE="0",
            SECONDREAD_SECRET_KEY=secret_key,
            SECONDREAD_STORAGE_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
            PUBLIC_URL=f"http://127.0.0.1:{web_port}",
            FOLLOW_UP_ROUND_SECONDS="86400",
        )
        subprocess.run(
            [str(ROOT / ".venv/bin/python"), "-m", "bot.db"], cwd=ROOT, env=env, check=True
        )
        py = str(ROOT / ".venv/bin/python")
        commands = {
            "actions": [py, "-m", "bot.actions.server", "--host", "127.0.0.1",
                        "--port", str(action_port)],
            "web": [py, "-m", "bot.web", "--port", str(web_port)],
        }  # fmt: skip
        for number, port in enumerate(rasa_ports):
            commands[f"rasa{number}"] = rasa_command(model, port)
        logs = {name: workdir / f"{name}.log" for name in commands}
        procs: dict[str, subprocess.Popen[bytes]] = {}
        stack.callback(lambda: stop(*procs.values()))
        for name, command in commands.items():
            with logs[name].open("wb") as log:
                procs[name] = subprocess.Popen(
                    command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
                )
        cluster = Cluster(
            rasa_urls=[f"http://127.0.0.1:{port}" for port in rasa_ports],
            action_url=f"http://127.0.0.1:{action_port}",
            web_url=f"http://127.0.0.1:{web_port}",
            api_token=api_token,
            secret_key=secret_key,
            database_url=database_url,
            redis=redis,
            logs=logs,
        )
        wait_until_up(f"{cluster.action_url}/health", procs["actions"], logs["actions"], 60)
        wait_until_up(f"{cluster.web_url}/healthz", procs["web"], logs["web"], 60)
        for number, url in enumerate(cluster.rasa_urls):
            name = f"rasa{number}"
            wait_until_up(f"{url}/status?token={api_token}", procs[name], logs[name], 400)
        yield cluster
