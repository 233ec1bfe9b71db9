"""Start the real action server, Rasa server and web app on free loopback ports."""

from __future__ import annotations

import base64
import os
import secrets
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import select

from bot.db import make_engine, session_factory
from bot.letters.models import RecordsRequest
from bot.security.tokens import issue_token

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv/bin/python")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Stack:
    rasa_url: str
    action_url: str
    web_url: str
    token: str
    tracker_db: Path
    secret_key: str = ""
    # What the servers were started with, for tests that start another Rasa (another_rasa).
    env: dict[str, str] = field(default_factory=dict)
    model: Path | None = None

    def backdate_records_request(self, conversation_id: str, days: int) -> None:
        """As if the letter had been written `days` ago."""
        engine = make_engine(f"sqlite:///{self.tracker_db}")
        try:
            with session_factory(engine).begin() as session:
                row = session.scalar(
                    select(RecordsRequest).where(RecordsRequest.conversation_id == conversation_id)
                )
                assert row is not None, "the records request was not recorded"
                row.requested_at -= timedelta(days=days)
        finally:
            engine.dispose()

    def say(
        self, sender: str, message: str, metadata: dict[str, object] | None = None
    ) -> list[dict]:
        body: dict[str, object] = {"sender": sender, "message": message}
        if metadata:
            body["metadata"] = metadata
        r = httpx.post(
            f"{self.rasa_url}/webhooks/rest/webhook",
            json=body,
            headers=self.auth(sender),
            timeout=60,
        )
        r.raise_for_status()
        return list(r.json())

    def auth(self, sender: str) -> dict[str, str]:
        """The REST channel's proof of which conversation a request speaks for."""
        token = issue_token(self.secret_key, sender, "conversation", 600)
        return {"Authorization": f"Bearer {token}"}

    def tracker(self, sender: str) -> dict:
        r = httpx.get(
            f"{self.rasa_url}/conversations/{sender}/tracker",
            params={"token": self.token},
            timeout=30,
        )
        r.raise_for_status()
        return dict(r.json())


def trained_model() -> Path:
    """The model for the current inputs (trains only when they changed; cached by hash)."""
    out = subprocess.run(
        [str(ROOT / "scripts" / "train")], cwd=ROOT, check=True, capture_output=True, text=True
    )
    return Path(out.stdout.strip())


def stop(*procs: subprocess.Popen[bytes], seconds: float = 20) -> None:
    """Ask each process to exit, then kill (and reap) whichever is still running `seconds`
    later."""
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def rasa_command(model: Path, port: int, interface: str = "127.0.0.1") -> list[str]:
    """Rasa through scripts/rasa-serve (its API token comes from RASA_API_TOKEN)."""
    return [
        str(ROOT / ".venv-rasa/bin/python"), str(ROOT / "scripts/rasa-serve"),
        "--model", str(model), "--endpoints", "endpoints.yml", "--credentials", "credentials.yml",
        "--interface", interface, "--port", str(port),
    ]  # fmt: skip


def action_command(port: int, host: str = "127.0.0.1") -> list[str]:
    """The private action server (a bearer token, which Rasa sends from endpoints.yml)."""
    return [PYTHON, "-m", "bot.actions.server", "--host", host, "--port", str(port)]


def web_command(port: int, host: str = "127.0.0.1") -> list[str]:
    return [PYTHON, "-m", "bot.web", "--host", host, "--port", str(port)]


def migrate(env: dict[str, str]) -> None:
    """Our tables in the database the servers share (Rasa makes its own `events` table)."""
    subprocess.run([PYTHON, "-m", "bot.db"], cwd=ROOT, env=env, check=True)


def server_env(
    workdir: Path,
    *,
    database_url: str,
    action_url: str,
    rasa_url: str,
    public_url: str,
    api_token: str,
    secret_key: str,
    **extra: str,
) -> dict[str, str]:
    """The environment every server of a test deployment gets, as in production (every key
    given, not development mode): the database holds our tables and Rasa's `events` (Rasa's
    SQLAlchemy 1.4 reaches it with psycopg2 on PostgreSQL); `extra` adds or replaces values."""
    tracker_url = database_url.replace("+psycopg", "")
    env = dict(
        os.environ,
        VAR_DIR=str(workdir),
        DATABASE_URL=database_url,
        TRACKER_URL=tracker_url,
        TRACKER_DIALECT=tracker_url.split(":", 1)[0],
        LOCK_STORE="in_memory",
        REDIS_HOST="127.0.0.1",
        ACTION_ENDPOINT_URL=action_url,
        RASA_URL=rasa_url,
        TF_CPP_MIN_LOG_LEVEL="2",
        RASA_TELEMETRY_ENABLED="false",  # tests never reach the internet
        RASA_API_TOKEN=api_token,
        ACTION_SERVER_TOKEN=secrets.token_urlsafe(32),
        SECONDREAD_DEV_MODE="0",
        SECONDREAD_SECRET_KEY=secret_key,
        SECONDREAD_STORAGE_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        PUBLIC_URL=public_url,
        # Records-request follow-ups: one round after start, then daily; the test of the
        # follow-ups runs its own web app with short rounds.
        FOLLOW_UP_ROUND_SECONDS="86400",
    )
    env.update(extra)
    return env


def wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not up after {seconds} s:\n{log.read_text()[-3000:]}")


@contextmanager
def running_stack(
    workdir: Path, extra_env: dict[str, str] | None = None, model: Path | None = None
) -> Iterator[Stack]:
    """Rasa, the action server and the web app on loopback; `extra_env` adds to their
    environment (the fake NPI Registry's address, for example); `model` replaces the one for
    the current inputs (benchmarks of another pipeline)."""
    model = model or trained_model()
    rasa_port, action_port, web_port = free_port(), free_port(), free_port()
    token = secrets.token_urlsafe(16)
    secret_key = secrets.token_urlsafe(32)
    tracker_db = workdir / "secondread.db"
    env = server_env(
        workdir,
        database_url=f"sqlite:///{tracker_db}",
        action_url=f"http://127.0.0.1:{action_port}/webhook",
        rasa_url=f"http://127.0.0.1:{rasa_port}",
        public_url=f"http://127.0.0.1:{web_port}",
        api_token=token,
        secret_key=secret_key,
        **(extra_env or {}),
    )
    commands = {
        "actions": action_command(action_port),
        # `rasa run` with the API token from RASA_API_TOKEN, not the command line.
        "rasa": rasa_command(model, rasa_port),
        "web": web_command(web_port),
    }
    migrate(env)
    procs: dict[str, subprocess.Popen[bytes]] = {}
    logs = {name: workdir / f"{name}.log" for name in commands}
    try:
        for name, cmd in commands.items():
            with logs[name].open("wb") as log:
                procs[name] = subprocess.Popen(
                    cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
                )
        stack = Stack(
            rasa_url=f"http://127.0.0.1:{rasa_port}",
            action_url=f"http://127.0.0.1:{action_port}",
            web_url=f"http://127.0.0.1:{web_port}",
            token=token,
            tracker_db=tracker_db,
            secret_key=secret_key,
            env=env,
            model=model,
        )
        wait_until_up(f"{stack.action_url}/health", procs["actions"], logs["actions"], 60)
        wait_until_up(f"{stack.web_url}/healthz", procs["web"], logs["web"], 60)
        wait_until_up(f"{stack.rasa_url}/status?token={token}", procs["rasa"], logs["rasa"], 400)
        yield stack
    finally:
        stop(*procs.values())


@contextmanager
def another_rasa(stack: Stack, port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Start (without waiting) a second Rasa server on `port` with the stack's model, action
    server, tracker database and API token, and stop it at the end. For tests that stop and
    restart Rasa without touching the shared one; loading the model takes about a minute."""
    assert stack.model is not None, "the stack was not started by running_stack"
    cmd = rasa_command(stack.model, port)
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=stack.env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        stop(proc)
