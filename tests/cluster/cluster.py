"""Several Rasa servers on one PostgreSQL tracker store and one Redis lock store, with one action
server and the web app, all on loopback: production's scale-out path (README "Production").

Like tests/integration/stack.py, with PostgreSQL (tests/cases/postgres.py) for every table and
Rasa's `events`, a password-protected Redis (tests/cluster/redis_server.py) for the locks, and
the Rasa servers started together (loading the model takes about a minute each).
"""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from bot.security.tokens import issue_token
from tests.cases.postgres import PostgresServer, running_postgres
from tests.cluster.redis_server import RedisServer, running_redis
from tests.integration.stack import (
    ROOT,
    action_command,
    free_port,
    migrate,
    rasa_command,
    server_env,
    stop,
    trained_model,
    wait_until_up,
    web_command,
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


def create_database(postgres: PostgresServer, name: str = "secondread") -> str:
    """A database of its own on the throwaway server: its SQLAlchemy URL (psycopg 3)."""
    admin = create_engine(postgres.url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
    finally:
        admin.dispose()
    return postgres.url(name)


def redis_env(redis: RedisServer, lock_store: str = "redis") -> dict[str, str]:
    """The lock store's settings (endpoints.yml) for every Rasa server."""
    return {
        "LOCK_STORE": lock_store,
        "REDIS_HOST": redis.host,
        "REDIS_PORT": str(redis.port),
        "REDIS_DB": "1",
        "REDIS_PASSWORD": redis.password,
    }


@contextmanager
def running_cluster(workdir: Path, nodes: int = 2, lock_store: str = "redis") -> Iterator[Cluster]:
    """`nodes` Rasa servers (LOCK_STORE=`lock_store`) on one PostgreSQL database and one Redis,
    plus the action server and the web app; every server is up when the block starts."""
    model = trained_model()
    with ExitStack() as stack:
        postgres = stack.enter_context(running_postgres())
        database_url = create_database(postgres)
        redis = stack.enter_context(running_redis())
        rasa_ports = [free_port() for _ in range(nodes)]
        action_port, web_port = free_port(), free_port()
        api_token, secret_key = secrets.token_urlsafe(24), secrets.token_urlsafe(32)
        env = server_env(
            workdir,
            database_url=database_url,
            action_url=f"http://127.0.0.1:{action_port}/webhook",
            rasa_url=f"http://127.0.0.1:{rasa_ports[0]}",
            public_url=f"http://127.0.0.1:{web_port}",
            api_token=api_token,
            secret_key=secret_key,
            **redis_env(redis, lock_store),
        )
        migrate(env)
        commands = {"actions": action_command(action_port), "web": web_command(web_port)}
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
